//! Adding to the current span from inside a traced body.

use std::borrow::Cow;

use opentelemetry::trace::TraceContextExt as _;
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
