//! A traced global allocator: the tracing machinery allocates, so a traced
//! `alloc` is re-entered from inside it. Such inner calls run untraced
//! instead of waiting on the machinery's own locks or recursing without end
//! (regression: the `bytes` crate's tests hung with `#[traced]` on `alloc`).

use otel_runtime::testing::{SpanDataExt, capture};

#[path = "support/traced_allocator.rs"]
mod traced_allocator;

#[test]
fn a_traced_allocator_neither_hangs_nor_recurses() {
    // Before any provider is installed: the global provider's first use
    // allocates from inside the machinery.
    let before: Vec<u64> = (0..100).collect();
    assert_eq!(before.len(), 100);

    let freed = traced_allocator::deallocations();
    let (_, spans) = capture(|| {
        let buffer: Vec<u8> = Vec::with_capacity(4096);
        drop(buffer);
    });
    assert!(
        traced_allocator::deallocations() > freed,
        "the buffer was freed"
    );
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
