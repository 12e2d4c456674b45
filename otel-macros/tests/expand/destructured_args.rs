#[traced]
fn add((a, b): (i32, i32), Point { x, y: _ }: Point) -> i32 {
    a + b + x
}
