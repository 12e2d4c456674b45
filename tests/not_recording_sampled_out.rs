//! With a provider whose sampler drops every span, nothing about an argument
//! is evaluated, and the trace context still flows to children.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use otel_runtime::opentelemetry::trace::TraceContextExt;
use otel_runtime::opentelemetry::{Context, global};
use otel_runtime::traced;

static DEBUG_CALLS: AtomicUsize = AtomicUsize::new(0);

struct Counted;

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DEBUG_CALLS.fetch_add(1, Ordering::SeqCst);
        f.write_str("Counted")
    }
}

#[traced(ret(Debug))]
fn work(value: &Counted, again: Option<Counted>) -> Counted {
    let _ = (value, again);
    Counted
}

#[traced]
fn outer() -> (bool, String) {
    let _ = work(&Counted, Some(Counted));
    let cx = Context::current();
    let span = cx.span();
    (
        span.is_recording(),
        span.span_context().trace_id().to_string(),
    )
}

#[test]
fn nothing_is_formatted_when_the_sampler_drops_the_span() {
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::AlwaysOff)
        .build();
    global::set_tracer_provider(provider);

    let (recording, trace_id) = outer();
    assert!(!recording);
    // The sampled-out span still carries a real trace context.
    assert_ne!(trace_id, "00000000000000000000000000000000");
    for _ in 0..10 {
        work(&Counted, None);
    }
    assert_eq!(DEBUG_CALLS.load(Ordering::SeqCst), 0);
}
