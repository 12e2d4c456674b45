//! `otel_runtime::propagation`: the trace context crosses a process
//! boundary in headers (an `http::HeaderMap`, or any string map), both ways.

use std::collections::HashMap;

use http::HeaderMap;
use otel_runtime::opentelemetry::baggage::BaggageExt as _;
use otel_runtime::opentelemetry::propagation::TextMapPropagator as _;
use otel_runtime::opentelemetry::trace::{SpanContext, TraceContextExt as _, TraceId};
use otel_runtime::opentelemetry::{Context, KeyValue, global};
use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
use otel_runtime::testing::capture;
use otel_runtime::{propagation, traced};

/// What `init` installs by default.
fn default_propagators() {
    global::set_text_map_propagator(propagation::default_propagator());
}

fn current() -> SpanContext {
    Context::current().span().span_context().clone()
}

#[traced(kind = "client")]
fn call_service() -> HeaderMap {
    let mut headers = HeaderMap::new();
    propagation::inject(&mut headers);
    serve(&headers);
    headers
}

#[traced(kind = "server", parent = propagation::extract(headers))]
fn serve(headers: &HeaderMap) -> SpanContext {
    current()
}

#[test]
fn a_server_span_is_the_child_of_the_client_span_across_headers() {
    default_propagators();
    let (headers, spans) = capture(call_service);
    let client = spans.named("call_service");
    let server = spans.named("serve");
    assert!(spans.is_child_of(server, client));
    assert!(server.parent_span_is_remote);
    let expected = format!(
        "00-{}-{}-01",
        client.span_context.trace_id(),
        client.span_context.span_id()
    );
    assert_eq!(headers["traceparent"], expected.as_str());
}

#[test]
fn a_string_map_carries_the_span_and_the_baggage() {
    default_propagators();
    let (message, _) = capture(|| {
        let _baggage = Context::current()
            .with_baggage([KeyValue::new("tenant", "acme")])
            .attach();
        let mut message = HashMap::new();
        propagation::inject_context(&Context::current(), &mut message);
        message
    });
    assert!(message.contains_key("traceparent"));
    assert_eq!(message["baggage"], "tenant=acme");

    let cx = propagation::extract_from(&message);
    assert!(cx.span().span_context().is_remote());
    assert_eq!(
        cx.baggage().get("tenant").map(|v| v.to_string()),
        Some("acme".to_owned())
    );
}

#[test]
fn outside_any_span_nothing_is_injected() {
    default_propagators();
    let mut headers = HeaderMap::new();
    propagation::inject(&mut headers);
    assert!(headers.get("traceparent").is_none());
}

#[test]
fn extraction_ignores_the_current_context() {
    default_propagators();
    let (cx, _) = capture(|| propagation::extract(&HeaderMap::new()));
    assert!(
        !cx.has_active_span(),
        "the capture's span is current, not carried"
    );
}

#[test]
fn a_malformed_traceparent_starts_a_new_trace() {
    default_propagators();
    let mut headers = HeaderMap::new();
    headers.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"
            .parse()
            .unwrap(),
    );
    let (inside, spans) = capture(|| serve(&headers));
    assert!(inside.is_valid());
    assert_ne!(
        inside.trace_id(),
        spans.trace_id(),
        "not the caller's trace"
    );
    assert_ne!(
        inside.trace_id().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "not the header's trace"
    );
    assert!(spans.is_empty());
}

#[test]
fn a_valid_traceparent_is_continued() {
    default_propagators();
    let mut headers = HeaderMap::new();
    headers.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    headers.insert("tracestate", "vendor=opaque".parse().unwrap());
    let (inside, _) = capture(|| serve(&headers));
    assert_eq!(
        inside.trace_id().to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(inside.trace_state().get("vendor"), Some("opaque"));
}

/// `opentelemetry_sdk`'s own W3C propagator reads trace and span IDs
/// shorter than 32 and 16 hex digits as zero-padded, and takes a
/// `traceparent` that ends in a `-` or starts with a `+`; the W3C
/// specification says to ignore such a header, and `TraceContext` (what
/// `init` installs) does.
#[test]
fn short_ids_and_a_stray_sign_start_a_new_trace() {
    default_propagators();
    for traceparent in [
        "00-1-2-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "+0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", traceparent.parse().unwrap());
        let lenient =
            TraceContextPropagator::new().extract(&propagation::HeaderExtractor(&headers));
        let strict = propagation::extract(&headers);
        // The SDK's alone would continue a trace: the check is what stops it.
        assert!(lenient.has_active_span(), "{traceparent}");
        assert!(!strict.has_active_span(), "{traceparent}");
        let (inside, _) = capture(|| serve(&headers));
        assert_ne!(inside.trace_id(), TraceId::from(1), "{traceparent}");
        assert_ne!(
            inside.trace_id(),
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            "{traceparent}"
        );
    }
}
