use otel_runtime::traced;

#[traced(name = "a", ret, name = "b", ret(Debug))]
fn twice() -> u8 {
    1
}

fn main() {}
