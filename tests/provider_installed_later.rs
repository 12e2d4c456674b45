//! A provider installed after traced calls ran without one: traced calls
//! skip all work while none is installed, and still find the provider.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanProcessor};
use otel_runtime::opentelemetry::trace::noop::NoopTracerProvider;
use otel_runtime::opentelemetry::{Context, global};
use otel_runtime::traced;

#[derive(Debug, Clone, Default)]
struct Keep(Arc<Mutex<Vec<SpanData>>>);

impl Keep {
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

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

fn provider(keep: &Keep) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_span_processor(keep.clone())
        .build()
}

#[traced]
fn handled(n: u32) -> u32 {
    n
}

// One test: the global provider is process-wide.
#[test]
fn a_provider_installed_later_is_found() {
    for n in 0..10 {
        handled(n);
    }

    // Installed through this crate: the very next call is traced.
    let first = Keep::default();
    otel_runtime::set_tracer_provider(provider(&first));
    handled(1);
    assert_eq!(first.count(), 1);

    // Back to none, then a provider installed straight through
    // `opentelemetry::global`: noticed within 1,024 calls on this thread.
    global::set_tracer_provider(NoopTracerProvider::new());
    handled(2);
    assert_eq!(first.count(), 1);
    let second = Keep::default();
    global::set_tracer_provider(provider(&second));
    for n in 0..1025 {
        handled(n);
    }
    assert!(second.count() >= 1, "never noticed");
    // And a thread that starts afterwards sees it on its first call.
    let before = second.count();
    std::thread::spawn(|| handled(3)).join().unwrap();
    assert_eq!(second.count(), before + 1);
}
