//! A traced global allocator: the tracing machinery allocates, so a traced
//! `alloc` is re-entered from inside it. Such inner calls run untraced
//! instead of waiting on the machinery's own locks or recursing without end
//! (regression: the `bytes` crate's tests hung with `#[traced]` on `alloc`).

use std::alloc::{GlobalAlloc, Layout, System};

use otel_runtime::testing::{SpanDataExt, capture};
use otel_runtime::traced;

struct TracedAllocator;

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for TracedAllocator {
    #[traced]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    #[traced(skip(ptr))]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: TracedAllocator = TracedAllocator;

#[test]
fn a_traced_allocator_neither_hangs_nor_recurses() {
    // Before any provider is installed: the global provider's first use
    // allocates from inside the machinery.
    let before: Vec<u64> = (0..100).collect();
    assert_eq!(before.len(), 100);

    let (_, spans) = capture(|| {
        let buffer: Vec<u8> = Vec::with_capacity(4096);
        drop(buffer);
    });
    let allocation = spans
        .all_named("alloc")
        .into_iter()
        .find(|span| {
            span.attr("layout")
                .is_some_and(|l| l.to_string().contains("size: 4096"))
        })
        .expect("the 4096-byte allocation is traced");
    assert!(spans.is_top_level(allocation));
}
