//! The global propagator `init` installs: as `OTEL_PROPAGATORS` says, or the
//! one given in code.

use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};

use super::env;

/// The chosen propagators: W3C trace context, then B3, then baggage (a
/// later one's context wins when a request carries both trace headers).
pub(super) fn propagator(chosen: env::Propagators) -> TextMapCompositePropagator {
    let mut propagators: Vec<Box<dyn TextMapPropagator + Send + Sync>> = Vec::new();
    if chosen.trace_context {
        propagators.push(Box::new(crate::propagation::TraceContext::new()));
    }
    #[cfg(feature = "b3")]
    if let Some(b3) = b3(chosen) {
        propagators.push(b3);
    }
    if chosen.baggage {
        propagators.push(Box::new(
            opentelemetry_sdk::propagation::BaggagePropagator::new(),
        ));
    }
    TextMapCompositePropagator::new(propagators)
}

/// Zipkin's B3: what it writes, as chosen; it reads both forms either way.
#[cfg(feature = "b3")]
fn b3(chosen: env::Propagators) -> Option<Box<dyn TextMapPropagator + Send + Sync>> {
    use opentelemetry_propagator_b3::{B3Encoding, Propagator};
    Some(match (chosen.b3, chosen.b3_multi) {
        (true, true) => Box::new(Propagator::with_encoding(B3Encoding::SingleAndMultiHeader)),
        (true, false) => Box::new(SingleHeader(Propagator::with_encoding(
            B3Encoding::SingleHeader,
        ))),
        (false, true) => Box::new(Propagator::with_encoding(B3Encoding::MultipleHeader)),
        (false, false) => return None,
    })
}

/// B3 with the single `b3` header only. `opentelemetry-propagator-b3`
/// 0.33.1 writes the `X-B3-*` headers too for `SingleHeader` (its test for
/// "unspecified", `encoding & 0 == 0`, always holds), which `b3` in
/// `OTEL_PROPAGATORS` does not ask for; this drops them as they are
/// written (`tests/b3.rs` checks the headers against Python's).
#[cfg(feature = "b3")]
#[derive(Debug)]
struct SingleHeader(opentelemetry_propagator_b3::Propagator);

#[cfg(feature = "b3")]
impl TextMapPropagator for SingleHeader {
    fn inject_context(&self, cx: &opentelemetry::Context, injector: &mut dyn Injector) {
        /// Passes the `b3` header on, and nothing else.
        struct Only<'a>(&'a mut dyn Injector);
        impl Injector for Only<'_> {
            fn set(&mut self, key: &str, value: String) {
                if key.eq_ignore_ascii_case("b3") {
                    self.0.set(key, value);
                }
            }
        }
        self.0.inject_context(cx, &mut Only(injector));
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
