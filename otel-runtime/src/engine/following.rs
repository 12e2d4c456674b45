//! A tracer that follows the installed provider, for code that must hold
//! one tracer for the life of the program (the `tracing` bridge's layer,
//! which may be built before `init` runs, and outlives a provider that a
//! test replaces).
//!
//! Each span asks the thread's kept tracers (`tracers`) for its scope's
//! tracer: the SDK's own when this crate installed the provider, so that a
//! span costs what the SDK's does, and the global provider's otherwise.

use std::borrow::Cow;
use std::time::SystemTime;

use opentelemetry::global::BoxedSpan;
use opentelemetry::trace::{SpanBuilder, SpanContext, Status};
use opentelemetry::{Context, KeyValue};

use super::reentry;
use super::tracers::{Tracer, tracer_for};

/// A tracer of one instrumentation scope that makes each span with the
/// provider installed at that moment.
#[derive(Debug, Clone, Copy)]
pub struct FollowingTracer {
    name: &'static str,
    version: &'static str,
}

impl FollowingTracer {
    /// The tracer of the scope `name`, `version`.
    pub(crate) const fn new(name: &'static str, version: &'static str) -> FollowingTracer {
        FollowingTracer { name, version }
    }
}

impl opentelemetry::trace::Tracer for FollowingTracer {
    type Span = FollowingSpan;

    fn build_with_context(&self, builder: SpanBuilder, parent_cx: &Context) -> FollowingSpan {
        // Inside the machinery: a processor that runs traced code as the
        // span starts makes no span of its own.
        reentry::within(|| match &*tracer_for(self.name, self.version) {
            Tracer::Sdk { tracer, .. } => {
                FollowingSpan::Sdk(tracer.build_with_context(builder, parent_cx))
            }
            Tracer::Global(tracer) => {
                FollowingSpan::Global(tracer.build_with_context(builder, parent_cx))
            }
        })
    }
}

/// A span of a [`FollowingTracer`]: the SDK's, or the global provider's.
// Unboxed: a box would cost an allocation per span, and the span moves
// once, into its context.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FollowingSpan {
    /// Made by an SDK provider that this crate installed.
    Sdk(opentelemetry_sdk::trace::Span),
    /// Made by any other provider.
    Global(BoxedSpan),
}

/// Calls `$method` on whichever span it is.
macro_rules! either {
    ($span:expr, $inner:ident => $call:expr) => {
        match $span {
            FollowingSpan::Sdk($inner) => $call,
            FollowingSpan::Global($inner) => $call,
        }
    };
}

impl opentelemetry::trace::Span for FollowingSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        either!(self, span => span.add_event_with_timestamp(name, timestamp, attributes));
    }

    fn span_context(&self) -> &SpanContext {
        either!(self, span => span.span_context())
    }

    fn is_recording(&self) -> bool {
        either!(self, span => span.is_recording())
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        either!(self, span => span.set_attribute(attribute));
    }

    fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        either!(self, span => span.set_attributes(attributes));
    }

    fn set_status(&mut self, status: Status) {
        either!(self, span => span.set_status(status));
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        either!(self, span => span.update_name(new_name));
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        either!(self, span => span.add_link(span_context, attributes));
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        // Ending hands the span to the processors: inside the machinery.
        reentry::within(|| either!(self, span => span.end_with_timestamp(timestamp)));
    }
}
