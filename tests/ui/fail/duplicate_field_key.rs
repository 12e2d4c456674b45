use otel_runtime::traced;

#[traced(fields(db.system = "postgresql", db.system = "mysql"))]
fn query() {}

fn main() {}
