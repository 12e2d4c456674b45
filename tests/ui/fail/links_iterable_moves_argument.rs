use otel_runtime::opentelemetry::Context;
use otel_runtime::traced;

// An iterable given to `links` is taken by value, as `for` takes it: it
// moves the `Vec`, which is recorded after. `links = &causes` borrows it.
#[traced(links = causes)]
fn effect(causes: Vec<Context>) {}

fn main() {}
