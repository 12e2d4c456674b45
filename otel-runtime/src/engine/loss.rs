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

use super::batch::{Export, ExportItem, Outcome};
use super::processor::{Ended, Processor};

/// The counts and the rate-limited warnings of one signal's exports.
pub(crate) struct Signal {
    /// What its items are called in a report ("spans", "log records").
    items: &'static str,
    /// The variable that sizes its queue.
    queue_variable: &'static str,
    ended: AtomicU64,
    dropped: AtomicU64,
    exported: AtomicU64,
    failed: AtomicU64,
    export_failed: RateLimited,
    queue_full: RateLimited,
}

impl Signal {
    const fn new(items: &'static str, queue_variable: &'static str) -> Self {
        Signal {
            items,
            queue_variable,
            ended: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            exported: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            export_failed: RateLimited(Mutex::new(None)),
            queue_full: RateLimited(Mutex::new(None)),
        }
    }

    fn stats(&self) -> ExportStats {
        ExportStats {
            ended: self.ended.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            exported: self.exported.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Counts one item given to a pipeline, and whether `queue` takes it;
    /// a refused one is counted as dropped, and said.
    #[inline]
    pub(crate) fn admit(&self, queue: &Queue) -> bool {
        self.ended.fetch_add(1, Ordering::Relaxed);
        if queue.admit() {
            return true;
        }
        let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        // In a flood, most items may be dropped: the clock and the lock of
        // the rate limit are looked at on the first drop and then once per
        // `DROPS_PER_LOOK`, not on each.
        if dropped == 1 || dropped % DROPS_PER_LOOK == 0 {
            self.queue_full.warn(|| {
                format!(
                    "the export queue is full ({} {items}, {}): {dropped} {items} dropped so far; \
                     the exporter is slower than {items} are made",
                    queue.capacity,
                    self.queue_variable,
                    items = self.items,
                )
            });
        }
        false
    }

    /// Counts the outcome of an export of `items` items, which frees their
    /// places in `queue`.
    pub(crate) fn exported(&self, queue: &Queue, items: usize, result: &OTelSdkResult) {
        queue.release(items);
        self.outcome(items as u64, result);
    }

    /// Counts `items` items given to an exporter without a queue (a
    /// metrics export), and the export's outcome.
    pub(crate) fn sent(&self, items: u64, result: &OTelSdkResult) {
        self.ended.fetch_add(items, Ordering::Relaxed);
        self.outcome(items, result);
    }

    fn outcome(&self, items: u64, result: &OTelSdkResult) {
        match result {
            Ok(()) => {
                self.exported.fetch_add(items, Ordering::Relaxed);
            }
            Err(error) => {
                let failed = self.failed.fetch_add(items, Ordering::Relaxed) + items;
                self.export_failed.warn(|| {
                    format!(
                        "{items} {what} could not be exported ({failed} so far): {error}",
                        what = self.items
                    )
                });
            }
        }
    }

    /// The line the guard prints when items were lost.
    fn summary(&self) -> Option<String> {
        let stats = self.stats();
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
                "otel_runtime: {lost} {} were lost ({} in failed exports, {} dropped from a full queue{left}); {} were delivered",
                self.items, stats.failed, stats.dropped, stats.exported
            )
        })
    }
}

/// The spans' counts.
pub(crate) static SPANS: Signal = Signal::new("spans", "OTEL_BSP_MAX_QUEUE_SIZE");
/// The log records' counts (the `tracing` feature's logs).
pub(crate) static LOG_RECORDS: Signal = Signal::new("log records", "OTEL_BLRP_MAX_QUEUE_SIZE");
/// The metrics' counts, by reading: each export sends one reading of every
/// metric, so a reading is the unit that can be lost.
pub(crate) static METRIC_EXPORTS: Signal = Signal::new("metric readings", "");

const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How many items dropped from a full queue between two looks at whether
/// to warn again.
const DROPS_PER_LOOK: u64 = 1024;

/// How many spans (or log records) this process's exporters were given,
/// delivered, and lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Sampled spans that ended, or log records written (counted once per
    /// exporter). `ended - dropped - exported - failed` are still on their
    /// way; once the guard has dropped, they were lost at shutdown.
    pub ended: u64,
    /// Dropped because the export queue was full: the exporter was slower
    /// than the program made them (`OTEL_BSP_MAX_QUEUE_SIZE`,
    /// `OTEL_BLRP_MAX_QUEUE_SIZE`).
    pub dropped: u64,
    /// Accepted by an exporter.
    pub exported: u64,
    /// Lost because an export failed (collector down, timeout…), after its
    /// retries.
    pub failed: u64,
}

/// The spans' counts so far, for all exporters set up by
/// [`init`](crate::init).
///
/// ```
/// use otel_runtime::{ExportStats, export_stats};
///
/// // Before `init`, nothing was exported, and nothing lost.
/// assert_eq!(export_stats(), ExportStats::default());
/// ```
pub fn export_stats() -> ExportStats {
    SPANS.stats()
}

/// The metrics' counts so far, by reading (each export sends one reading
/// of every metric; `ended`: readings given to an exporter, never
/// `dropped`), for all metrics exporters set up by [`init`](crate::init).
///
/// ```
/// use otel_runtime::{ExportStats, metric_export_stats};
///
/// assert_eq!(metric_export_stats(), ExportStats::default());
/// ```
pub fn metric_export_stats() -> ExportStats {
    METRIC_EXPORTS.stats()
}

/// The log records' counts so far, for all log exporters set up by
/// [`init`](crate::init) (`OTEL_LOGS_EXPORTER`).
///
/// ```
/// use otel_runtime::{ExportStats, log_export_stats};
///
/// assert_eq!(log_export_stats(), ExportStats::default());
/// ```
pub fn log_export_stats() -> ExportStats {
    LOG_RECORDS.stats()
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
        !span.is_sampled() || SPANS.admit(&self.queue)
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
        let result = unpanicked(self.inner.export(batch)).await;
        SPANS.exported(&self.queue, spans, &result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<X: Export> Export for Counted<X> {
    fn export(&mut self, batch: &mut Vec<ExportItem>, done: &mut Vec<Outcome>) {
        let (from, spans) = (done.len(), batch.len());
        let inner = &mut self.inner;
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| inner.export(batch, done)))
        {
            done.push((spans, Err(panicked(&*panic))));
        }
        self.count(&done[from..]);
    }

    fn flush(&mut self, done: &mut Vec<Outcome>) {
        self.counting(done, |inner, done| inner.flush(done));
    }

    fn in_flight(&self) -> bool {
        self.inner.in_flight()
    }

    fn reap(&mut self, done: &mut Vec<Outcome>) {
        self.counting(done, |inner, done| inner.reap(done));
    }

    fn shutdown(&mut self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<X> Counted<X> {
    fn count(&self, outcomes: &[Outcome]) {
        for (spans, result) in outcomes {
            SPANS.exported(&self.queue, *spans, result);
        }
    }

    /// Runs `step` (which pushes outcomes of exports that finished, for
    /// none of which it knows the spans' count if it panics) and counts
    /// what it pushed.
    fn counting(&mut self, done: &mut Vec<Outcome>, step: impl FnOnce(&mut X, &mut Vec<Outcome>)) {
        let from = done.len();
        let inner = &mut self.inner;
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| step(inner, done))) {
            done.push((0, Err(panicked(&*panic))));
        }
        self.count(&done[from..]);
    }
}

/// The result of `export`, a panic in it made a failed export: a panic
/// would end the exporting thread, and every later item would be lost
/// without a word.
pub(crate) async fn unpanicked(export: impl Future<Output = OTelSdkResult>) -> OTelSdkResult {
    AssertUnwindSafe(export)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(panicked(&*panic)))
}

/// An exporter's panic, as a failed export.
fn panicked(panic: &(dyn std::any::Any + Send)) -> OTelSdkError {
    OTelSdkError::InternalFailure(format!(
        "the exporter panicked: {}",
        super::panic::payload_message(panic)
    ))
}

/// One line on standard error, at most once per interval; one per cause,
/// so that failing exports do not hide a full queue.
struct RateLimited(Mutex<Option<Instant>>);

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

/// The lines the guard prints, after the last flush, for each signal that
/// lost items.
pub(crate) fn summary() -> impl Iterator<Item = String> {
    [&SPANS, &LOG_RECORDS, &METRIC_EXPORTS]
        .into_iter()
        .filter_map(Signal::summary)
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
