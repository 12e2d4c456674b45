//! Spans reach a provider that the user built with `opentelemetry_sdk` and
//! installed with `global::set_tracer_provider`.

#[path = "support/keep.rs"]
mod keep;

use keep::Keep;
use otel_runtime::opentelemetry::global;
use otel_runtime::traced;

#[traced]
fn handled(n: u8) -> u8 {
    n
}

#[test]
fn spans_go_to_the_provider_the_user_installed() {
    let keep = Keep::default();
    let provider = keep.provider();
    global::set_tracer_provider(provider.clone());

    handled(1);
    let spans = keep.0.lock().unwrap().clone();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "handled");
    assert_eq!(spans[0].instrumentation_scope.name(), "otel-workspace");

    // Replacing it through `otel_runtime` takes effect for the next call
    // (through `global`, within 1,024 calls: see provider_installed_later.rs).
    let second = Keep::default();
    otel_runtime::set_tracer_provider(second.provider());
    handled(2);
    assert_eq!(keep.count(), 1);
    assert_eq!(second.count(), 1);
    provider.shutdown().unwrap();
}
