//! Spans reach a provider that the user built with `opentelemetry_sdk` and
//! installed with `global::set_tracer_provider`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanProcessor};
use otel_runtime::opentelemetry::{Context, global};
use otel_runtime::traced;

#[derive(Debug, Clone, Default)]
struct Keep(Arc<Mutex<Vec<SpanData>>>);

impl SpanProcessor for Keep {
    fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &Context) {}
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

#[traced]
fn handled(n: u8) -> u8 {
    n
}

#[test]
fn spans_go_to_the_provider_the_user_installed() {
    let keep = Keep::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(keep.clone())
        .build();
    global::set_tracer_provider(provider.clone());

    handled(1);
    let spans = keep.0.lock().unwrap().clone();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "handled");
    assert_eq!(spans[0].instrumentation_scope.name(), "otel-workspace");

    // Replacing it through `otel_runtime` takes effect for the next call
    // (through `global`, within 1,024 calls: see provider_installed_later.rs).
    let second = Keep::default();
    otel_runtime::set_tracer_provider(
        SdkTracerProvider::builder()
            .with_span_processor(second.clone())
            .build(),
    );
    handled(2);
    assert_eq!(keep.0.lock().unwrap().len(), 1);
    assert_eq!(second.0.lock().unwrap().len(), 1);
    provider.shutdown().unwrap();
}
