//! A traced global allocator under a sampler that drops every span: leaving
//! a sampled-out span frees its context, and that `dealloc` is traced too.
//! It must run untraced, or each span left would start another one, without
//! end (the stack overflows).

use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use otel_runtime::opentelemetry::global;
use otel_runtime::traced;

#[path = "support/traced_allocator.rs"]
mod traced_allocator;

#[traced]
fn work(n: usize) -> usize {
    let buffer: Vec<u8> = Vec::with_capacity(n);
    buffer.capacity()
}

#[test]
fn leaving_a_sampled_out_span_frees_untraced() {
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::AlwaysOff)
        .build();
    global::set_tracer_provider(provider);
    for n in 1..100 {
        assert!(work(n) >= n);
    }
    // Each call frees its buffer and what its span allocated; a dealloc
    // that started a span of its own would free again, without end.
    let deallocs = traced_allocator::deallocations();
    assert!(deallocs > 99, "{deallocs} deallocations");
}
