//! Loss is loud: spans that an exporter failed to deliver are counted,
//! readable through [`export_stats`], reported on standard error at most
//! once a minute, and summed up when the guard drops, together with the
//! spans the batch queue had to drop.
//!
//! The SDK's batch processor keeps its own drop count private, so spans are
//! counted on their way in (`ended`) and on their way out (`exported`,
//! `failed`): once the guard has flushed, the difference was dropped.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

static ENDED: AtomicU64 = AtomicU64::new(0);
static EXPORTED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);
static LAST_WARNING: Mutex<Option<Instant>> = Mutex::new(None);

const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How many spans this process's exporters delivered, and failed to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Sampled spans handed to the exporters' queues (once per exporter).
    /// `ended - exported - failed` are still queued, or were dropped
    /// because the queue was full; after the guard has dropped, all of
    /// them were dropped.
    pub ended: u64,
    /// Spans an exporter accepted.
    pub exported: u64,
    /// Spans lost because an export failed (collector down, timeout…).
    pub failed: u64,
}

/// The counts so far, for all exporters set up by [`init`](crate::init).
///
/// ```
/// use otel_runtime::{ExportStats, export_stats};
///
/// // Before `init`, nothing was exported, and nothing lost.
/// assert_eq!(export_stats(), ExportStats::default());
/// ```
pub fn export_stats() -> ExportStats {
    ExportStats {
        ended: ENDED.load(Ordering::Relaxed),
        exported: EXPORTED.load(Ordering::Relaxed),
        failed: FAILED.load(Ordering::Relaxed),
    }
}

/// A span processor (the batch processor) whose input is counted.
#[derive(Debug)]
pub(crate) struct CountedIn<P>(pub P);

impl<P: SpanProcessor> SpanProcessor for CountedIn<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.0.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() {
            ENDED.fetch_add(1, Ordering::Relaxed);
        }
        self.0.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// An exporter whose outcomes are counted.
#[derive(Debug)]
pub(crate) struct Counted<E>(pub E);

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len() as u64;
        let result = self.0.export(batch).await;
        match &result {
            Ok(()) => {
                EXPORTED.fetch_add(spans, Ordering::Relaxed);
            }
            Err(error) => {
                let failed = FAILED.fetch_add(spans, Ordering::Relaxed) + spans;
                warn_now_and_then(&format!(
                    "{spans} spans could not be exported ({failed} so far): {error}"
                ));
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// One line on standard error, at most once per interval.
fn warn_now_and_then(message: &str) {
    let mut last = LAST_WARNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if last.is_none_or(|at| at.elapsed() >= WARNING_INTERVAL) {
        *last = Some(Instant::now());
        eprintln!("otel_runtime: {message}");
    }
}

/// The line the guard prints, after the last flush, when spans were lost.
pub(crate) fn summary() -> Option<String> {
    let stats = export_stats();
    let dropped = stats.ended.saturating_sub(stats.exported + stats.failed);
    (stats.failed > 0 || dropped > 0).then(|| {
        format!(
            "otel_runtime: {} spans were lost ({} in failed exports, {} dropped from a full queue); {} were delivered",
            stats.failed + dropped,
            stats.failed,
            dropped,
            stats.exported
        )
    })
}
