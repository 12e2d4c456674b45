use otel_runtime::traced;

#[traced(skip_all, skip(y), fields(id = 1, id = 2))]
const fn answer(x: u8) -> u8 {
    x
}

fn main() {}
