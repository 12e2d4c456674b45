//! What `#[traced(parent = …)]` and `#[traced(links = …)]` accept.

use opentelemetry::Context;
use opentelemetry::trace::{Link, SpanContext, TraceContextExt as _};

/// A value that can be the parent of a traced call's span, given with
/// [`#[traced(parent = …)]`](crate::traced).
///
/// | value | the span's parent |
/// |---|---|
/// | a [`Context`] | that context's span; the body runs in that context, so its baggage too |
/// | a [`SpanContext`] | that span; the rest of the current context (baggage) stays |
/// | `None` | the current span, as without `parent` |
/// | `Context::new()` | nothing: the span is the root of a new trace |
///
/// A reference works like the value, and `Some(x)` like `x`.
///
/// ```
/// use otel_runtime::opentelemetry::trace::{SpanContext, TraceContextExt as _};
/// use otel_runtime::testing::capture;
/// use otel_runtime::traced;
///
/// // Started from a queue's worker, on behalf of the request that queued the job.
/// #[traced(parent = queued_by)]
/// fn run_job(queued_by: &SpanContext) {}
///
/// let (_, spans) = capture(|| {
///     let request = otel_runtime::opentelemetry::Context::current().span().span_context().clone();
///     run_job(&request);
/// });
/// assert!(spans.is_top_level(spans.named("run_job")));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the parent of a span",
    label = "a `Context` or `SpanContext` (or a reference, or an `Option` of one) is expected here",
    note = "`parent = …` takes an `opentelemetry::Context`, a `SpanContext`, a reference to one, or an `Option` of them"
)]
pub trait IntoParent {
    /// The parent's context, or `None` for the current one.
    fn into_parent(self) -> Option<Context>;
}

impl IntoParent for Context {
    fn into_parent(self) -> Option<Context> {
        Some(self)
    }
}

impl IntoParent for SpanContext {
    fn into_parent(self) -> Option<Context> {
        Some(Context::map_current(|cx| cx.with_remote_span_context(self)))
    }
}

impl<T: IntoParent> IntoParent for Option<T> {
    fn into_parent(self) -> Option<Context> {
        self.and_then(IntoParent::into_parent)
    }
}

impl<T: IntoParent + Clone> IntoParent for &T {
    fn into_parent(self) -> Option<Context> {
        self.clone().into_parent()
    }
}

/// A value that a traced call's span can link to, given with
/// [`#[traced(links = […])]`](crate::traced): a [`SpanContext`], a
/// [`Context`] (its span), or a [`Link`] (to give the link attributes).
/// A reference works like the value, `Some(x)` like `x`, and `None` or an
/// invalid span context (as `extract` returns from headers without a valid
/// `traceparent`) adds no link.
///
/// Implement it for your own types, a queued message that carries its
/// producer's context say, to pass them to `links` as they are.
///
/// ```
/// use otel_runtime::opentelemetry::Context;
/// use otel_runtime::opentelemetry::trace::{Link, SpanContext, TraceContextExt as _};
/// use otel_runtime::testing::capture;
/// use otel_runtime::{IntoLink, traced};
///
/// struct Message {
///     sent_from: Context,
/// }
///
/// impl IntoLink for &Message {
///     fn into_link(self) -> Option<Link> {
///         self.sent_from.clone().into_link()
///     }
/// }
///
/// #[traced(kind = "consumer", links = batch)]
/// fn consume(batch: &[Message]) {}
///
/// let (_, spans) = capture(|| {
///     let batch = vec![Message { sent_from: Context::current() }];
///     consume(&batch);
/// });
/// let link = &spans.named("consume").links.links[0];
/// assert_eq!(link.span_context.trace_id(), spans.trace_id());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a span link",
    label = "`links` takes a list of `Context`, `SpanContext` or `Link`",
    note = "`links = …` takes anything iterable (`[a, b]`, a `Vec`, an iterator) whose items are a `Context`, a `SpanContext` or a `Link`, a reference to one, or an `Option` of them"
)]
pub trait IntoLink {
    /// The link, or `None` for no link.
    fn into_link(self) -> Option<Link>;
}

impl IntoLink for Link {
    fn into_link(self) -> Option<Link> {
        self.span_context.is_valid().then_some(self)
    }
}

impl IntoLink for SpanContext {
    fn into_link(self) -> Option<Link> {
        Link::with_context(self).into_link()
    }
}

impl IntoLink for Context {
    fn into_link(self) -> Option<Link> {
        self.span().span_context().clone().into_link()
    }
}

impl<T: IntoLink> IntoLink for Option<T> {
    fn into_link(self) -> Option<Link> {
        self.and_then(IntoLink::into_link)
    }
}

impl<T: IntoLink + Clone> IntoLink for &T {
    fn into_link(self) -> Option<Link> {
        self.clone().into_link()
    }
}

/// The `parent` and `links` of one call, as its options' expressions give
/// them. Built by the expansion:
/// `Relations::new().parent(&(expr)).link(&(a)).link(&(b))`.
pub struct Relations {
    pub(super) parent: Option<Context>,
    pub(super) links: Vec<Link>,
}

impl Relations {
    /// No parent and no link: the span's parent is the current context.
    pub(crate) fn is_current(&self) -> bool {
        self.parent.is_none() && self.links.is_empty()
    }

    /// No parent (the current context) and no link.
    #[inline]
    pub fn new() -> Self {
        Relations {
            parent: None,
            links: Vec::new(),
        }
    }

    /// The span's parent.
    pub fn parent(mut self, parent: impl IntoParent) -> Self {
        self.parent = parent.into_parent();
        self
    }

    /// One link of the span.
    pub fn link(mut self, link: impl IntoLink) -> Self {
        self.links.extend(link.into_link());
        self
    }

    /// A link of the span per item.
    pub fn links<I>(mut self, links: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoLink,
    {
        self.links
            .extend(links.into_iter().filter_map(IntoLink::into_link));
        self
    }
}

impl Default for Relations {
    fn default() -> Self {
        Relations::new()
    }
}
