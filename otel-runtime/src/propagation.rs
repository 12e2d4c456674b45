//! Carrying a trace across processes: the current context into the headers
//! of an outgoing request, and the caller's context out of the headers of an
//! incoming one.
//!
//! What is written and read is up to the global propagator, which
//! [`init`](crate::init) installs: W3C `traceparent` and `tracestate`, and
//! `baggage`, unless `OTEL_PROPAGATORS` or
//! [`Builder::propagator`](crate::Builder::propagator) choose otherwise.
//! Where no propagator is installed (no `init`, and no
//! `opentelemetry::global::set_text_map_propagator`), injecting writes
//! nothing and extracting finds nothing.
//!
//! A server continues its caller's trace by making the extracted context the
//! parent of its span, with [`#[traced(parent = …)]`](crate::traced):
//!
//! ```
//! use http::HeaderMap;
//! use otel_runtime::{propagation, traced};
//! # use otel_runtime::opentelemetry::global;
//! # use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
//! # use otel_runtime::opentelemetry_sdk::trace::SdkTracerProvider;
//! # global::set_text_map_propagator(TraceContextPropagator::new());
//! # otel_runtime::set_tracer_provider(SdkTracerProvider::builder().build());
//!
//! #[traced(kind = "server", parent = propagation::extract(headers))]
//! fn handle(headers: &HeaderMap) -> HeaderMap {
//!     // A call to another service: it continues this trace in turn.
//!     let mut outgoing = HeaderMap::new();
//!     propagation::inject(&mut outgoing);
//!     outgoing
//! }
//!
//! let mut incoming = HeaderMap::new();
//! incoming.insert(
//!     "traceparent",
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
//! );
//! let outgoing = handle(&incoming);
//! let traceparent = outgoing["traceparent"].to_str().unwrap();
//! assert!(traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
//! ```
//!
//! A message consumer, whose messages each carry their producer's context,
//! links to them instead ([`#[traced(links = …)]`](crate::traced)): see
//! [`IntoLink`](crate::IntoLink).

use http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::{Context, global};

/// An [`Injector`] that writes into an `http::HeaderMap`, for
/// [`inject_context`]. A value that is not a valid header value is left out.
///
/// ```
/// use http::HeaderMap;
/// use otel_runtime::opentelemetry::Context;
/// use otel_runtime::propagation::{self, HeaderInjector};
///
/// let mut headers = HeaderMap::new();
/// propagation::inject_context(&Context::new(), &mut HeaderInjector(&mut headers));
/// assert!(headers.is_empty(), "an empty context writes nothing");
/// ```
pub use opentelemetry_http::HeaderInjector;

/// An [`Extractor`] that reads an `http::HeaderMap`, for [`extract_from`].
/// A header whose value is not visible ASCII is not seen.
///
/// ```
/// use http::HeaderMap;
/// use otel_runtime::opentelemetry::trace::TraceContextExt as _;
/// use otel_runtime::propagation::{self, HeaderExtractor};
///
/// let headers = HeaderMap::new();
/// let cx = propagation::extract_from(&HeaderExtractor(&headers));
/// assert!(!cx.has_active_span());
/// ```
pub use opentelemetry_http::HeaderExtractor;

/// Writes the current context (its span, and its baggage) into `headers`,
/// as the global propagator encodes it: with the default propagators, a
/// `traceparent` header, and `tracestate` and `baggage` where they are not
/// empty. Outside any span, nothing is written.
///
/// ```
/// use http::HeaderMap;
/// use otel_runtime::propagation;
/// # use otel_runtime::opentelemetry::global;
/// # use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
/// # global::set_text_map_propagator(TraceContextPropagator::new());
///
/// #[otel_runtime::traced(kind = "client")]
/// fn call_inventory() -> HeaderMap {
///     let mut headers = HeaderMap::new();
///     propagation::inject(&mut headers);
///     headers   // … sent with the request
/// }
///
/// let (headers, spans) = otel_runtime::testing::capture(call_inventory);
/// let span = spans.named("call_inventory").span_context.clone();
/// let expected = format!("00-{}-{}-01", span.trace_id(), span.span_id());
/// assert_eq!(headers["traceparent"], expected.as_str());
/// ```
pub fn inject(headers: &mut HeaderMap) {
    Context::map_current(|cx| inject_context(cx, &mut HeaderInjector(headers)));
}

/// Writes `cx` into any carrier: a `HashMap<String, String>` (the headers
/// of a queued message, say), a [`HeaderInjector`], or a type of yours that
/// implements [`Injector`].
///
/// ```
/// use std::collections::HashMap;
/// use otel_runtime::opentelemetry::Context;
/// use otel_runtime::propagation;
/// # use otel_runtime::opentelemetry::global;
/// # use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
/// # global::set_text_map_propagator(TraceContextPropagator::new());
///
/// #[otel_runtime::traced(kind = "producer")]
/// fn publish(body: &str) -> HashMap<String, String> {
///     let mut message_headers = HashMap::new();
///     propagation::inject_context(&Context::current(), &mut message_headers);
///     message_headers
/// }
///
/// let (message_headers, spans) = otel_runtime::testing::capture(|| publish("hello"));
/// let trace_id = spans.named("publish").span_context.trace_id().to_string();
/// assert!(message_headers["traceparent"].contains(&trace_id));
/// ```
pub fn inject_context(cx: &Context, carrier: &mut dyn Injector) {
    global::get_text_map_propagator(|propagator| propagator.inject_context(cx, carrier));
}

/// The context that `headers` carry: the caller's span as a remote parent,
/// and its baggage.
///
/// The result holds what the headers carry and nothing else, whatever is
/// current here: when they hold no valid `traceparent` (none, or one that
/// the propagator rejects), it has no span, so a span started under it
/// begins a new trace. Never panics, whatever the headers hold.
///
/// ```
/// use http::HeaderMap;
/// use otel_runtime::opentelemetry::trace::TraceContextExt as _;
/// use otel_runtime::propagation;
/// # use otel_runtime::opentelemetry::global;
/// # use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
/// # global::set_text_map_propagator(TraceContextPropagator::new());
///
/// let mut headers = HeaderMap::new();
/// headers.insert(
///     "traceparent",
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
/// );
/// let cx = propagation::extract(&headers);
/// let parent = cx.span().span_context().clone();
/// assert_eq!(parent.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(parent.is_remote() && parent.is_sampled());
///
/// headers.insert("traceparent", "00-not-a-trace-01".parse().unwrap());
/// assert!(!propagation::extract(&headers).has_active_span());
/// ```
pub fn extract(headers: &HeaderMap) -> Context {
    extract_from(&HeaderExtractor(headers))
}

/// The context that any carrier holds: a `HashMap<String, String>`, a
/// [`HeaderExtractor`], or a type of yours that implements [`Extractor`].
/// As with [`extract`], the result holds only what the carrier does.
///
/// ```
/// use std::collections::HashMap;
/// use otel_runtime::opentelemetry::trace::TraceContextExt as _;
/// use otel_runtime::propagation;
/// # use otel_runtime::opentelemetry::global;
/// # use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
/// # global::set_text_map_propagator(TraceContextPropagator::new());
///
/// let message_headers = HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let cx = propagation::extract_from(&message_headers);
/// assert_eq!(
///     cx.span().span_context().span_id().to_string(),
///     "00f067aa0ba902b7",
/// );
/// ```
pub fn extract_from(carrier: &dyn Extractor) -> Context {
    // On an empty context rather than the current one: with a bad header,
    // the propagator hands back the context it was given, and a request
    // must not join whatever trace happens to be current where it is read.
    global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), carrier)
    })
}

/// What [`init`](crate::init) installs when `OTEL_PROPAGATORS` is unset:
/// W3C trace context ([`TraceContext`]) and baggage. For programs and tests
/// that set the global propagator themselves.
///
/// ```
/// use otel_runtime::opentelemetry::global;
///
/// global::set_text_map_propagator(otel_runtime::propagation::default_propagator());
/// let mut headers = http::HeaderMap::new();
/// otel_runtime::propagation::inject(&mut headers);
/// // No span is current here, so there is nothing to write.
/// assert!(headers.get("traceparent").is_none());
/// ```
pub fn default_propagator() -> opentelemetry::propagation::TextMapCompositePropagator {
    w3c(true, true)
}

/// W3C trace context and baggage, each when asked for.
pub(crate) fn w3c(
    trace_context: bool,
    baggage: bool,
) -> opentelemetry::propagation::TextMapCompositePropagator {
    let mut propagators: Vec<Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>> =
        Vec::new();
    if trace_context {
        propagators.push(Box::new(TraceContext::new()));
    }
    if baggage {
        propagators.push(Box::new(
            opentelemetry_sdk::propagation::BaggagePropagator::new(),
        ));
    }
    opentelemetry::propagation::TextMapCompositePropagator::new(propagators)
}

/// The W3C trace context propagator (`traceparent`, `tracestate`):
/// `opentelemetry_sdk`'s, behind a check of the `traceparent` header's
/// shape. The SDK reads IDs shorter than 32 or 16 hex digits as if
/// zero-padded and takes a header that ends in `-`; the W3C specification
/// says to ignore such a header, and so does this propagator: the context
/// is left as it was, and a span started under it begins a new trace.
/// [`init`](crate::init) installs it for `tracecontext`.
///
/// ```
/// use otel_runtime::opentelemetry::global;
/// use otel_runtime::opentelemetry::trace::TraceContextExt as _;
/// use otel_runtime::propagation::{self, TraceContext};
///
/// global::set_text_map_propagator(TraceContext::new());
/// let mut headers = http::HeaderMap::new();
/// headers.insert("traceparent", "00-1-2-01".parse().unwrap());
/// assert!(!propagation::extract(&headers).has_active_span());
/// ```
#[derive(Debug, Default)]
pub struct TraceContext(opentelemetry_sdk::propagation::TraceContextPropagator);

impl TraceContext {
    /// The propagator.
    pub fn new() -> Self {
        TraceContext::default()
    }
}

impl opentelemetry::propagation::TextMapPropagator for TraceContext {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        self.0.inject_context(cx, injector);
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        match extractor.get("traceparent") {
            Some(traceparent) if !well_formed(traceparent) => cx.clone(),
            _ => self.0.extract_with_context(cx, extractor),
        }
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        self.0.fields()
    }
}

/// Whether `traceparent` has the W3C shape: `vv-<32 hex>-<16 hex>-ff`, in
/// lower case, exactly so for version `00`, and for a later version
/// possibly followed by `-…`. What the parts mean (all-zero IDs, version
/// `ff`) is left to the SDK.
fn well_formed(traceparent: &str) -> bool {
    let bytes = traceparent.trim().as_bytes();
    let hex = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    let shape = bytes.len() >= 55
        && hex(0..2)
        && bytes[2] == b'-'
        && hex(3..35)
        && bytes[35] == b'-'
        && hex(36..52)
        && bytes[52] == b'-'
        && hex(53..55);
    let end = if &bytes[..2.min(bytes.len())] == b"00" {
        bytes.len() == 55
    } else {
        bytes.len() == 55 || bytes.get(55) == Some(&b'-')
    };
    shape && end
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn only_the_w3c_shape_passes() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(well_formed(valid));
        assert!(well_formed(&format!(" {valid} ")));
        assert!(well_formed(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later-fields"
        ));
        for bad in [
            "00-1-2-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "+0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "",
            "00",
            "é0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }
}
