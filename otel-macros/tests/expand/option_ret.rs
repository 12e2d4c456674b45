#[traced(ret)]
fn double(x: i64) -> i64 {
    if x < 0 {
        return 0;
    }
    x * 2
}
