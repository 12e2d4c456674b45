//! `parent = …` chooses the span's parent instead of the current span;
//! `links = …` links the span to others.

use std::sync::atomic::{AtomicUsize, Ordering};

use otel_runtime::opentelemetry::baggage::BaggageExt as _;
use otel_runtime::opentelemetry::trace::{
    Link, SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use otel_runtime::opentelemetry::{Context, KeyValue};
use otel_runtime::testing::{capture, capture_async};
use otel_runtime::traced;

/// The current span's context, inside a body.
fn current() -> SpanContext {
    Context::current().span().span_context().clone()
}

fn remote(trace: u128, span: u64) -> SpanContext {
    SpanContext::new(
        TraceId::from(trace),
        SpanId::from(span),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    )
}

#[traced(parent = cx)]
fn child_of_context(cx: &Context) -> SpanContext {
    current()
}

#[traced(parent = span)]
fn child_of_span_context(span: SpanContext) -> SpanContext {
    current()
}

#[traced(parent = maybe)]
fn child_of_option(maybe: Option<&Context>) -> SpanContext {
    current()
}

#[traced(parent = Context::new())]
fn new_root() -> SpanContext {
    current()
}

#[traced]
fn outer(inner: impl FnOnce() -> SpanContext) -> SpanContext {
    inner()
}

#[test]
fn a_context_parent_replaces_the_current_span() {
    let (_, spans) = capture(|| {
        let top = Context::current();
        outer(|| child_of_context(&top))
    });
    let outer = spans.named("outer");
    let child = spans.named("child_of_context");
    assert!(spans.is_top_level(child), "the capture's root, not `outer`");
    assert!(!spans.is_child_of(child, outer));
}

#[test]
fn a_span_context_parent_replaces_the_current_span() {
    let (_, spans) = capture(|| {
        let top = current();
        outer(|| child_of_span_context(top))
    });
    assert!(spans.is_top_level(spans.named("child_of_span_context")));
}

#[test]
fn a_remote_parent_from_another_trace_is_continued() {
    let parent = remote(
        0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
        0x00f0_67aa_0ba9_02b7,
    );
    let (inside, spans) = capture(|| child_of_span_context(parent.clone()));
    assert_eq!(inside.trace_id(), parent.trace_id());
    assert!(inside.is_valid() && inside.span_id() != parent.span_id());
    assert!(spans.is_empty(), "the span is in the remote parent's trace");
}

#[test]
fn a_sampled_out_parent_samples_the_span_out() {
    let parent = SpanContext::new(
        TraceId::from(9),
        SpanId::from(9),
        TraceFlags::default(),
        true,
        TraceState::default(),
    );
    let (inside, spans) = capture(|| child_of_span_context(parent));
    assert_eq!(inside.trace_id(), TraceId::from(9));
    assert!(!inside.is_sampled(), "children in the body know it");
    assert!(spans.is_empty());
}

#[test]
fn none_leaves_the_current_span_as_parent() {
    let (_, spans) = capture(|| outer(|| child_of_option(None)));
    assert!(spans.is_child_of(spans.named("child_of_option"), spans.named("outer")));
}

#[test]
fn some_works_as_its_value() {
    let (_, spans) = capture(|| {
        let top = Context::current();
        outer(|| child_of_option(Some(&top)))
    });
    assert!(spans.is_top_level(spans.named("child_of_option")));
}

#[test]
fn an_empty_context_starts_a_new_trace() {
    let (inside, spans) = capture(|| outer(new_root));
    assert!(inside.is_valid());
    assert_ne!(inside.trace_id(), spans.trace_id());
    assert_eq!(spans.len(), 1, "only `outer`: the root is in its own trace");
}

#[traced(parent = cx)]
fn tenant_inside(cx: &Context) -> Option<String> {
    Context::current()
        .baggage()
        .get("tenant")
        .map(|value| value.to_string())
}

#[traced(parent = span)]
fn tenant_under_span_context(span: &SpanContext) -> Option<String> {
    Context::current()
        .baggage()
        .get("tenant")
        .map(|value| value.to_string())
}

#[test]
fn the_body_runs_in_the_parent_context_with_its_baggage() {
    let (tenant, spans) = capture(|| {
        let parent = Context::current().with_baggage([KeyValue::new("tenant", "acme")]);
        tenant_inside(&parent)
    });
    assert_eq!(tenant.as_deref(), Some("acme"));
    assert!(spans.is_top_level(spans.named("tenant_inside")));
}

#[test]
fn a_span_context_parent_keeps_the_current_baggage() {
    let (tenant, _) = capture(|| {
        let _baggage = Context::current()
            .with_baggage([KeyValue::new("tenant", "acme")])
            .attach();
        tenant_under_span_context(&remote(7, 7))
    });
    assert_eq!(tenant.as_deref(), Some("acme"));
}

#[test]
fn the_previous_context_is_current_again_after_the_call() {
    let ((before, after), _) = capture(|| {
        let before = current();
        new_root();
        (before, current())
    });
    assert_eq!(before, after);
}

#[traced(parent = cx)]
async fn async_child(cx: &Context) -> SpanContext {
    current()
}

#[test]
fn an_async_fn_takes_its_parent_at_the_call() {
    let (inner, spans) = futures::executor::block_on(capture_async(|| async {
        let top = Context::current();
        let future = outer_async(&top);
        future.await
    }));
    let child = spans.named("async_child");
    assert!(spans.is_top_level(child));
    assert_eq!(inner, child.span_context);
}

#[traced]
async fn outer_async(top: &Context) -> SpanContext {
    async_child(top).await
}

#[traced(links = [a, b])]
fn linked(a: &Context, b: &SpanContext) {}

#[test]
fn links_to_a_context_and_a_span_context() {
    let other = remote(0xabc, 0xdef);
    let (_, spans) = capture(|| linked(&Context::current(), &other));
    let span = spans.named("linked");
    let links: Vec<&SpanContext> = span
        .links
        .links
        .iter()
        .map(|link| &link.span_context)
        .collect();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].trace_id(), spans.trace_id());
    assert_eq!(links[1], &other);
    // A link does not make a parent.
    assert!(spans.is_top_level(span));
}

#[traced(kind = "consumer", links = batch.iter().map(|message| &message.0))]
fn consume(batch: &[(SpanContext, &str)]) -> usize {
    batch.len()
}

#[test]
fn links_take_any_iterable() {
    let batch: Vec<_> = (1..=3).map(|n| (remote(n, n as u64), "body")).collect();
    let (_, spans) = capture(|| consume(&batch));
    let span = spans.named("consume");
    let linked: Vec<u128> = span
        .links
        .iter()
        .map(|link| u128::from_be_bytes(link.span_context.trace_id().to_bytes()))
        .collect();
    assert_eq!(linked, [1, 2, 3]);
}

#[traced(links = [empty, maybe, Link::new(retried.clone(), vec![KeyValue::new("retry", true)], 0)])]
fn some_links_are_nothing(empty: &Context, maybe: Option<&SpanContext>, retried: &SpanContext) {}

#[test]
fn invalid_and_absent_links_are_left_out_and_link_attributes_kept() {
    let retried = remote(5, 5);
    let (_, spans) = capture(|| some_links_are_nothing(&Context::new(), None, &retried));
    let span = spans.named("some_links_are_nothing");
    assert_eq!(span.links.links.len(), 1);
    let link = &span.links.links[0];
    assert_eq!(link.span_context, retried);
    assert_eq!(link.attributes, vec![KeyValue::new("retry", true)]);
}

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn counted(cx: &Context) -> &Context {
    EVALUATED.fetch_add(1, Ordering::SeqCst);
    cx
}

#[traced(parent = counted(cx), links = [counted(cx)])]
fn evaluated_once_each(cx: &Context) {}

#[test]
fn the_expressions_are_evaluated_once_per_call() {
    capture(|| evaluated_once_each(&Context::current()));
    assert_eq!(EVALUATED.load(Ordering::SeqCst), 2);
}
