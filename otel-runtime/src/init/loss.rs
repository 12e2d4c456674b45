//! Loss is loud: spans that an exporter failed to deliver are counted,
//! readable through [`export_stats`], reported on standard error at most
//! once a minute, and summed up when the guard drops.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

static EXPORTED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);
static LAST_WARNING: Mutex<Option<Instant>> = Mutex::new(None);

const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How many spans this process's exporters delivered, and failed to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
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
        exported: EXPORTED.load(Ordering::Relaxed),
        failed: FAILED.load(Ordering::Relaxed),
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

/// The line the guard prints when spans were lost.
pub(crate) fn summary() -> Option<String> {
    let stats = export_stats();
    (stats.failed > 0).then(|| {
        format!(
            "otel_runtime: {} spans were lost (exports failed); {} were delivered",
            stats.failed, stats.exported
        )
    })
}
