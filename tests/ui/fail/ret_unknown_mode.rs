use otel_runtime::traced;

#[traced(ret(Wrong))]
fn load() -> u8 {
    1
}

fn main() {}
