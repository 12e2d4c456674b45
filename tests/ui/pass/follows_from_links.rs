//! `#[instrument]`'s `follows_from` is accepted as `links`.
use otel_runtime::opentelemetry::Context;
use otel_runtime::traced;

#[traced(follows_from = [cause])]
fn effect(cause: &Context) {
    let _ = cause;
}

fn main() {
    effect(&Context::current());
}
