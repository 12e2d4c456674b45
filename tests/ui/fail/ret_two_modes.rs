use otel_runtime::traced;

#[traced(ret(Debug, level = "info", Display))]
fn total() -> u32 {
    1
}

fn main() {}
