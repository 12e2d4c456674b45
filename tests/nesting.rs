//! The span is current for the whole body: nested spans are its children.

use otel_runtime::opentelemetry::trace::{TraceContextExt, Tracer};
use otel_runtime::opentelemetry::{Context, global};
use otel_runtime::testing::capture;
use otel_runtime::traced;

#[traced]
fn process_payment(user_id: u64) -> u64 {
    let rows = db_query("SELECT * FROM orders");
    let charge = global::tracer("manual").in_span("stripe_charge", |_cx| user_id * 2);
    rows + charge
}

#[traced]
fn db_query(query: &str) -> u64 {
    query.len() as u64
}

#[test]
fn nested_calls_and_manual_spans_are_children_in_one_trace() {
    let (_, spans) = capture(|| process_payment(42));
    let parent = spans.named("process_payment");
    let db = spans.named("db_query");
    let stripe = spans.named("stripe_charge");
    assert!(spans.is_top_level(parent));
    assert!(spans.is_child_of(db, parent));
    assert!(spans.is_child_of(stripe, parent));
    for span in spans.all() {
        assert_eq!(span.span_context.trace_id(), spans.trace_id());
    }
    // Children end before their parent.
    assert!(db.end_time <= parent.end_time);
}

#[traced]
fn current_span_id() -> String {
    Context::current()
        .span()
        .span_context()
        .span_id()
        .to_string()
}

#[test]
fn context_current_inside_the_body_holds_the_span() {
    let (inside, spans) = capture(current_span_id);
    let span = spans.named("current_span_id");
    assert_eq!(inside, span.span_context.span_id().to_string());
}

#[test]
fn the_previous_context_is_current_again_after_the_call() {
    let (ids, _) = capture(|| {
        let before = Context::current().span().span_context().span_id();
        current_span_id();
        let after = Context::current().span().span_context().span_id();
        (before, after)
    });
    assert_eq!(ids.0, ids.1);
}

#[traced]
fn sibling(n: u32) -> u32 {
    n
}

#[test]
fn sequential_calls_are_siblings() {
    let (_, spans) = capture(|| {
        sibling(1);
        sibling(2);
    });
    let siblings = spans.all_named("sibling");
    assert_eq!(siblings.len(), 2);
    assert!(siblings.iter().all(|s| spans.is_top_level(s)));
}
