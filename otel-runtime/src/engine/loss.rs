//! Loss is loud: spans that could not be queued or exported are counted,
//! readable through [`export_stats`], reported on standard error at most
//! once a minute per cause, and summed up when the guard drops.
//!
//! The SDK's batch processor drops spans when its queue is full and keeps
//! that count private. So the queue is bounded here, one step earlier: a
//! pipeline admits a span only while fewer than `OTEL_BSP_MAX_QUEUE_SIZE`
//! of its spans wait for their export to finish, and counts the ones it
//! refuses. Memory stays bounded by that setting, and a full queue costs
//! the application one atomic add, never a wait.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use opentelemetry::trace::SpanContext;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::processor::{Ended, Processor};

static ENDED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static EXPORTED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How many spans dropped from a full queue between two looks at whether to
/// warn again.
const DROPS_PER_LOOK: u64 = 1024;

/// How many spans this process's exporters were given, delivered, and lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Sampled spans that ended (counted once per exporter).
    /// `ended - dropped - exported - failed` are still on their way; once
    /// the guard has dropped, they were lost at shutdown.
    pub ended: u64,
    /// Spans dropped because the export queue was full: the exporter was
    /// slower than the program made spans (`OTEL_BSP_MAX_QUEUE_SIZE`).
    pub dropped: u64,
    /// Spans an exporter accepted.
    pub exported: u64,
    /// Spans lost because an export failed (collector down, timeout…),
    /// after its retries.
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
        dropped: DROPPED.load(Ordering::Relaxed),
        exported: EXPORTED.load(Ordering::Relaxed),
        failed: FAILED.load(Ordering::Relaxed),
    }
}

/// The spans of one pipeline that were admitted and whose export has not
/// finished yet, and how many may be.
#[derive(Debug)]
pub(crate) struct Queue {
    waiting: AtomicUsize,
    capacity: usize,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Queue {
            waiting: AtomicUsize::new(0),
            capacity,
        })
    }

    /// Takes a place, unless all are taken.
    fn admit(&self) -> bool {
        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |waiting| {
                (waiting < self.capacity).then_some(waiting + 1)
            })
            .is_ok()
    }

    fn release(&self, spans: usize) {
        // Saturating: an exporter may be handed spans that bypassed
        // admission (not sampled), which took no place.
        let _ = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |waiting| {
                Some(waiting.saturating_sub(spans))
            });
    }
}

/// A span processor (the batch processor) whose input is counted and
/// bounded by its pipeline's [`Queue`].
#[derive(Debug)]
pub(crate) struct CountedIn<P> {
    pub inner: P,
    pub queue: Arc<Queue>,
}

impl<P: Processor> Processor for CountedIn<P> {
    fn on_start(&self, span: &SpanContext, parent: &SpanContext) {
        self.inner.on_start(span, parent);
    }

    #[inline]
    fn on_end(&self, span: Ended<'_>) {
        if span.context().is_some_and(|context| self.admit(context)) {
            self.inner.on_end(span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<P> CountedIn<P> {
    /// Whether a span that ended goes on: a sampled one takes a place in
    /// the queue, if there is one left; else it is counted as dropped.
    #[inline]
    fn admit(&self, span: &SpanContext) -> bool {
        if !span.is_sampled() {
            return true;
        }
        ENDED.fetch_add(1, Ordering::Relaxed);
        if self.queue.admit() {
            return true;
        }
        let dropped = DROPPED.fetch_add(1, Ordering::Relaxed) + 1;
        // In a flood, most spans may be dropped: the clock and the lock
        // of the rate limit are looked at on the first drop and then
        // once per `DROPS_PER_LOOK`, not on each.
        if dropped == 1 || dropped % DROPS_PER_LOOK == 0 {
            QUEUE_FULL.warn(|| {
                format!(
                    "the export queue is full ({} spans, OTEL_BSP_MAX_QUEUE_SIZE): \
                     {dropped} spans dropped so far; the exporter is slower than spans are made",
                    self.queue.capacity
                )
            });
        }
        false
    }
}

/// An exporter whose outcomes are counted, whose finished batches free
/// their places in the [`Queue`], and whose panics become failed exports
/// (a panic would otherwise end the batch processor's thread, and every
/// later span would be lost without a word).
#[derive(Debug)]
pub(crate) struct Counted<E> {
    pub inner: E,
    pub queue: Arc<Queue>,
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans = batch.len();
        let result = AssertUnwindSafe(self.inner.export(batch))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                Err(OTelSdkError::InternalFailure(format!(
                    "the exporter panicked: {}",
                    super::panic::payload_message(&*panic)
                )))
            });
        self.queue.release(spans);
        let spans = spans as u64;
        match &result {
            Ok(()) => {
                EXPORTED.fetch_add(spans, Ordering::Relaxed);
            }
            Err(error) => {
                let failed = FAILED.fetch_add(spans, Ordering::Relaxed) + spans;
                EXPORT_FAILED.warn(|| {
                    format!("{spans} spans could not be exported ({failed} so far): {error}")
                });
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// One line on standard error, at most once per interval; one per cause,
/// so that failing exports do not hide a full queue.
struct RateLimited(Mutex<Option<Instant>>);

static EXPORT_FAILED: RateLimited = RateLimited(Mutex::new(None));
static QUEUE_FULL: RateLimited = RateLimited(Mutex::new(None));

impl RateLimited {
    /// Prints what `message` makes, unless this cause printed a line less
    /// than [`WARNING_INTERVAL`] ago; it is made only when printed.
    fn warn(&self, message: impl FnOnce() -> String) {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARNING_INTERVAL) {
            *last = Some(Instant::now());
            eprintln!("otel_runtime: {}", message());
        }
    }
}

/// The line the guard prints, after the last flush, when spans were lost.
pub(crate) fn summary() -> Option<String> {
    let stats = export_stats();
    let left = stats
        .ended
        .saturating_sub(stats.dropped + stats.exported + stats.failed);
    let lost = stats.failed + stats.dropped + left;
    (lost > 0).then(|| {
        let left = if left > 0 {
            format!(", {left} still queued at shutdown")
        } else {
            String::new()
        };
        format!(
            "otel_runtime: {lost} spans were lost ({} in failed exports, {} dropped from a full queue{left}); {} were delivered",
            stats.failed, stats.dropped, stats.exported
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Panicking;

    impl SpanExporter for Panicking {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            panic!("boom")
        }
    }

    #[test]
    fn a_panicking_exporter_fails_the_export_and_frees_the_queue() {
        let queue = Queue::new(1);
        assert!(queue.admit());
        let exporter = Counted {
            inner: Panicking,
            queue: queue.clone(),
        };
        let result = futures::executor::block_on(
            exporter.export(vec![crate::engine::batch::tests::span(1)]),
        );
        assert!(
            matches!(&result, Err(OTelSdkError::InternalFailure(why)) if why == "the exporter panicked: boom"),
            "{result:?}"
        );
        assert!(queue.admit(), "the batch's place was not freed");
    }

    #[test]
    fn a_queue_admits_up_to_its_capacity_and_frees_places_on_release() {
        let queue = Queue::new(2);
        assert!(queue.admit());
        assert!(queue.admit());
        assert!(!queue.admit());
        queue.release(1);
        assert!(queue.admit());
        // More released than admitted (spans that bypassed admission)
        // never wraps around into a queue that refuses everything.
        queue.release(10);
        assert!(queue.admit());
        assert!(queue.admit());
        assert!(!queue.admit());
    }
}
