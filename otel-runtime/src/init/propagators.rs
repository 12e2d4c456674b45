//! The global propagator `init` installs: as `OTEL_PROPAGATORS` says, or the
//! one given in code.

use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};

use super::env;

pub(super) fn propagator(chosen: env::Propagators) -> TextMapCompositePropagator {
    crate::propagation::w3c(chosen.trace_context, chosen.baggage)
}

/// A propagator chosen in code; `global` wants a sized one.
#[derive(Debug)]
pub(super) struct BoxedPropagator(pub(super) Box<dyn TextMapPropagator + Send + Sync>);

impl TextMapPropagator for BoxedPropagator {
    fn inject_context(&self, cx: &opentelemetry::Context, injector: &mut dyn Injector) {
        self.0.inject_context(cx, injector);
    }

    fn extract_with_context(
        &self,
        cx: &opentelemetry::Context,
        extractor: &dyn Extractor,
    ) -> opentelemetry::Context {
        self.0.extract_with_context(cx, extractor)
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        self.0.fields()
    }
}
