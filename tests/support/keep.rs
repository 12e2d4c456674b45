//! A span processor that keeps every finished span, for tests that install
//! a provider of their own (`#[path = "support/keep.rs"] mod keep;`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};
use otel_runtime::opentelemetry::Context;

/// The spans that ended, shared by its clones.
#[derive(Debug, Clone, Default)]
pub struct Keep(pub Arc<Mutex<Vec<SpanData>>>);

impl Keep {
    /// How many spans ended so far.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// A provider whose spans end here.
    pub fn provider(&self) -> SdkTracerProvider {
        SdkTracerProvider::builder()
            .with_span_processor(self.clone())
            .build()
    }
}

impl SpanProcessor for Keep {
    fn on_start(&self, _: &mut Span, _: &Context) {}
    fn on_end(&self, span: SpanData) {
        self.0.lock().unwrap().push(span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
}
