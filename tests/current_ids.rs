//! `current_ids`: the IDs of the span current where it is called, in sync
//! and async bodies and in nested calls.

use otel_runtime::testing::{capture, capture_async};
use otel_runtime::{SpanIds, current_ids, traced};

#[traced]
fn outer() -> (SpanIds, SpanIds) {
    let here = current_ids().unwrap();
    (here, inner())
}

#[traced]
fn inner() -> SpanIds {
    current_ids().unwrap()
}

#[test]
fn each_call_sees_its_own_span_in_the_same_trace() {
    let ((outer_ids, inner_ids), spans) = capture(outer);
    let outer_span = spans.named("outer");
    let inner_span = spans.named("inner");
    assert_eq!(outer_ids.span_id, outer_span.span_context.span_id());
    assert_eq!(inner_ids.span_id, inner_span.span_context.span_id());
    assert_eq!(outer_ids.trace_id, inner_ids.trace_id);
    assert_eq!(outer_ids.trace_id, outer_span.span_context.trace_id());
    assert!(outer_ids.sampled && inner_ids.sampled);
}

#[traced]
async fn across_an_await() -> (SpanIds, SpanIds) {
    let before = current_ids().unwrap();
    std::future::ready(()).await;
    (before, current_ids().unwrap())
}

#[test]
fn an_async_body_sees_its_span_on_either_side_of_an_await() {
    let ((before, after), spans) = futures::executor::block_on(capture_async(across_an_await));
    assert_eq!(before, after);
    assert_eq!(
        before.span_id,
        spans.named("across_an_await").span_context.span_id()
    );
    assert_eq!(current_ids(), None);
}
