use otel_runtime::traced;

#[traced(kind = "clinet")]
fn call() {}

fn main() {}
