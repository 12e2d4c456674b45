use otel_runtime::traced;

#[traced(fields("a.b"))]
fn f() {}

fn main() {}
