use otel_runtime::traced;

#[traced(crate = "not a path!")]
fn f() {}

fn main() {}
