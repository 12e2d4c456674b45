use otel_runtime::traced;

#[traced]
struct Config {
    port: u16,
}

fn main() {}
