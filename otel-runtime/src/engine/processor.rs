//! The one interface of the engine's span processors, over one kind of
//! finished span: [`Ended`].
//!
//! A span ends either as a [`Record`], when a traced call made it directly
//! (see `direct`), or as the SDK's `SpanData`, when a tracer of the SDK's
//! provider made it (a span started through the `opentelemetry` API). A
//! processor takes both the same way, and the SDK's provider sees it
//! through [`ForSdk`], so each processor implements one trait.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

use super::record::Record;

/// A span that ended, lent to a processor: one that keeps it takes it out
/// of its `Option` (a record is some 300 bytes, and each move is a copy).
/// The last processor of a pipeline may take it; the others look.
pub(crate) enum Ended<'a> {
    /// Made directly by a traced call: made into `SpanData` where it is
    /// exported.
    Record(&'a mut Option<Record>),
    /// Made by the SDK's tracer.
    Data(&'a mut Option<SpanData>),
}

impl Ended<'_> {
    /// The span's context; `None` once a processor took the span.
    pub(crate) fn context(&self) -> Option<&SpanContext> {
        match self {
            Ended::Record(record) => record.as_ref().map(|record| &record.context),
            Ended::Data(data) => data.as_ref().map(|data| &data.span_context),
        }
    }

    /// Whether the span is a root in this process: it has no parent, or
    /// a parent in another process.
    #[cfg(feature = "console")]
    pub(crate) fn is_local_root(&self) -> bool {
        let (parent, remote) = match self {
            Ended::Record(Some(record)) => (record.parent_span_id, record.parent_is_remote),
            Ended::Data(Some(data)) => (data.parent_span_id, data.parent_span_is_remote),
            _ => return false,
        };
        parent == opentelemetry::trace::SpanId::INVALID || remote
    }

    /// Takes the span out, as the SDK's `SpanData`.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn take_data(self) -> Option<SpanData> {
        match self {
            Ended::Record(record) => record.take().map(Record::into_span_data),
            Ended::Data(data) => data.take(),
        }
    }
}

/// A span processor of the engine.
pub(crate) trait Processor: Send + Sync + fmt::Debug {
    /// A span started (its context), under `parent` (its parent's context,
    /// invalid for a root).
    fn on_start(&self, _span: &SpanContext, _parent: &SpanContext) {}

    /// A span ended.
    fn on_end(&self, span: Ended<'_>);

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    /// The resource of the provider, before the processor is shared.
    fn set_resource(&mut self, _resource: &Resource) {}
}

/// An engine processor as the SDK's provider sees it. Its resource is set
/// before it is shared, as the SDK sets it only through `&mut`.
#[derive(Debug)]
pub(crate) struct ForSdk(pub(crate) Arc<dyn Processor>);

impl SpanProcessor for ForSdk {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        use opentelemetry::trace::Span as _;
        self.0
            .on_start(span.span_context(), cx.span().span_context());
    }

    fn on_end(&self, span: SpanData) {
        self.0.on_end(Ended::Data(&mut Some(span)));
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown(timeout)
    }

    fn set_resource(&mut self, _resource: &Resource) {}
}
