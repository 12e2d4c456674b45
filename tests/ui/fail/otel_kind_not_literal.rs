use otel_runtime::traced;

const KIND: &str = "server";

#[traced(fields(otel.kind = KIND))]
fn serve() {}

fn main() {}
