use otel_runtime::opentelemetry::Context;
use otel_runtime::traced;

#[traced(parent = first, links = [&first], parent = second, links = [&second])]
fn twice(first: &Context, second: &Context) {
    let _ = (first, second);
}

fn main() {}
