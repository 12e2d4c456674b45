//! Adding to the current span from inside a traced body.

use std::borrow::Cow;
use std::fmt;

use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId};
use opentelemetry::{Context, Key, KeyValue};

use crate::AttributeValue;

/// Sets an attribute on the current span: the tutorial's
/// `span.set_attribute("rows_returned", n)`. Does nothing when the current
/// span does not record, and then does not evaluate `value`'s form.
///
/// ```
/// use otel_runtime::testing::{capture, SpanDataExt};
///
/// #[otel_runtime::traced]
/// fn query(sql: &str) -> usize {
///     let rows = sql.len();
///     otel_runtime::set_attribute("rows_returned", rows);
///     rows
/// }
///
/// let (_, spans) = capture(|| query("SELECT 1"));
/// assert_eq!(spans.named("query").attr("rows_returned"), Some(&8_i64.into()));
/// ```
pub fn set_attribute(key: impl Into<Key>, value: impl AttributeValue) {
    Context::map_current(|cx| {
        let span = cx.span();
        if span.is_recording() {
            if let Some(value) = value.attribute_value() {
                span.set_attribute(KeyValue::new(key, value));
            }
        }
    });
}

/// Adds an event to the current span.
///
/// ```
/// use otel_runtime::opentelemetry::KeyValue;
/// use otel_runtime::testing::{capture, SpanDataExt};
///
/// #[otel_runtime::traced]
/// fn get(key: &str) -> Option<u8> {
///     otel_runtime::add_event("cache_miss", [KeyValue::new("key", key.to_owned())]);
///     None
/// }
///
/// let (_, spans) = capture(|| get("a"));
/// assert_eq!(spans.named("get").event_count("cache_miss"), 1);
/// ```
pub fn add_event(
    name: impl Into<Cow<'static, str>>,
    attributes: impl IntoIterator<Item = KeyValue>,
) {
    Context::map_current(|cx| {
        let span = cx.span();
        if span.is_recording() {
            span.add_event(name, attributes.into_iter().collect());
        }
    });
}

/// Runs `f` with tracing off on this thread: traced functions it calls make
/// no span. For code that must not be traced, such as installing a tracer
/// provider when the global allocator itself is traced (installing
/// allocates while holding the lock every span start reads).
///
/// ```
/// use otel_runtime::testing::capture;
///
/// #[otel_runtime::traced]
/// fn noisy() {}
///
/// let (_, spans) = capture(|| otel_runtime::untraced(noisy));
/// assert!(spans.is_empty());
/// ```
pub fn untraced<R>(f: impl FnOnce() -> R) -> R {
    crate::engine::untraced(f)
}

/// The trace ID and span ID of the span current here: for a log line of
/// your own format, or an error page that names the trace. `None` outside
/// any span (and with no provider installed).
///
/// Both IDs print in the usual lowercase hex (32 and 16 digits); the pair
/// prints as `trace_id=… span_id=…`.
///
/// ```
/// use otel_runtime::testing::{capture, SpanDataExt};
///
/// #[otel_runtime::traced]
/// fn handle() -> String {
///     let ids = otel_runtime::current_ids().expect("inside a span");
///     format!("error, reference {}", ids.trace_id)
/// }
///
/// let (page, spans) = capture(handle);
/// let span = spans.named("handle");
/// assert_eq!(page, format!("error, reference {:032x}", span.span_context.trace_id()));
/// assert!(otel_runtime::current_ids().is_none());
/// ```
pub fn current_ids() -> Option<SpanIds> {
    Context::map_current(|cx| {
        let span = cx.span();
        let context = span.span_context();
        context.is_valid().then(|| SpanIds {
            trace_id: context.trace_id(),
            span_id: context.span_id(),
            sampled: context.is_sampled(),
        })
    })
}

/// The IDs of a span, from [`current_ids`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpanIds {
    /// The trace's ID: shared by every span of the request, across
    /// services.
    pub trace_id: TraceId,
    /// The span's own ID.
    pub span_id: SpanId,
    /// Whether the trace is sampled, so that its spans are exported: an
    /// error page may name an unsampled trace, which no backend will show.
    pub sampled: bool,
}

impl fmt::Display for SpanIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trace_id={} span_id={}", self.trace_id, self.span_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_in_hex_as_a_pair() {
        let ids = SpanIds {
            trace_id: TraceId::from(0x0af7651916cd43dd8448eb211c80319c_u128),
            span_id: SpanId::from(0xb7ad6b7169203331_u64),
            sampled: true,
        };
        assert_eq!(
            ids.to_string(),
            "trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331"
        );
    }

    #[test]
    fn outside_any_span_there_are_none() {
        assert_eq!(current_ids(), None);
    }
}
