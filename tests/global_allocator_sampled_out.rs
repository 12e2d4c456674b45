//! A traced global allocator under a sampler that drops every span: leaving
//! a sampled-out span frees its context, and that `dealloc` is traced too.
//! It must run untraced, or each span left would start another one, without
//! end (the stack overflows).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use otel_runtime::opentelemetry::global;
use otel_runtime::traced;

struct TracedAllocator;

static DEALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for TracedAllocator {
    #[traced]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    #[traced(skip(ptr))]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        DEALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: TracedAllocator = TracedAllocator;

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
    let deallocs = DEALLOCS.load(Ordering::Relaxed);
    assert!(deallocs > 99, "{deallocs} deallocations");
}
