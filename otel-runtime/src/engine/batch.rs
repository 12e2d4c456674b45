//! The batch processor of `init`'s pipelines: a finished span waits in a
//! buffer of the thread that ended it, and one export thread takes every
//! thread's buffer at once and exports what it took in batches.
//!
//! The SDK's `BatchSpanProcessor` sends each span through one channel that
//! every thread shares: a span's end pays for the channel's atomics and for
//! the cache lines its senders and its receiver pass between them. Here a
//! span's end locks a mutex that only its own thread and, once per batch,
//! the export thread take, and adds one to a shared count, which is what
//! tells the export thread that a batch is ready. What reaches the exporter
//! is the same: the same spans, in batches of at most
//! `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, every `OTEL_BSP_SCHEDULE_DELAY` or as
//! soon as a batch is full, on a thread of its own.
//!
//! A span that `#[traced]` made directly comes as a record (see
//! `engine::record`). The export thread hands each batch to an [`Export`]:
//! an SDK exporter's turns records into `SpanData` there (what that
//! allocates, the export thread allocates and frees itself); `init`'s OTLP
//! exporter (`init::wire`) encodes them as they are.
//!
//! How many spans may wait is bounded in front of this processor, by the
//! pipeline's counted queue (`loss`), so a buffer never grows past that.
//! Buffers keep the room they grew to as they go round between the threads
//! and the export thread: giving it back after a flood only made the next
//! flood's calls grow them again, on the calling thread.

use std::mem;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};
use std::vec::Drain;

use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use thread_local::ThreadLocal;

use super::processor::{Ended, Processor};
use super::record::Record;
use super::reentry;

/// How long `force_flush` waits for the export thread, as the SDK's batch
/// processor does.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the export thread looks for exports that have finished while
/// some are in flight: each is counted (`export_stats`, loss reports) at
/// most this long after it finishes.
const IN_FLIGHT_CHECK: Duration = Duration::from_millis(10);

/// When the export thread exports, and how many spans at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// `OTEL_BSP_SCHEDULE_DELAY`: the longest a finished span waits.
    pub delay: Duration,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: the most spans per export, and
    /// how many waiting spans make the export thread export at once.
    pub max_batch: usize,
}

/// A batch span processor with a buffer per thread; see the module docs.
#[derive(Debug)]
pub(crate) struct Batch {
    buffers: Arc<Buffers>,
    messages: SyncSender<Message>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

/// What the threads that end spans share with the export thread.
#[derive(Debug)]
struct Buffers {
    /// Each thread's finished spans, in the order they ended.
    threads: ThreadLocal<Mutex<Finished>>,
    /// Spans in the buffers, counted before each is added, so that the
    /// export thread never takes more than were counted.
    waiting: AtomicUsize,
    /// A full batch was announced and the export thread has not taken it.
    announced: AtomicBool,
    /// Set at shutdown: spans that end later are not kept.
    shut: AtomicBool,
    max_batch: usize,
}

#[derive(Debug)]
enum Message {
    /// A batch is full.
    Export,
    Flush(SyncSender<OTelSdkResult>),
    Shutdown(SyncSender<OTelSdkResult>),
    Resource(Resource),
}

/// A finished span as the export thread hands it on.
#[derive(Debug)]
pub(crate) enum ExportItem {
    /// Made directly (`engine::direct`).
    Record(Record),
    /// Made by the SDK's tracer.
    Span(SpanData),
}

impl ExportItem {
    /// The span as the SDK's exporters take it.
    fn into_span_data(self) -> SpanData {
        match self {
            ExportItem::Record(record) => record.into_span_data(),
            ExportItem::Span(span) => span,
        }
    }
}

/// How one batch's export went: how many spans it had, and its result.
pub(crate) type Outcome = (usize, OTelSdkResult);

/// What the export thread hands each batch to: an SDK exporter, which
/// takes `SpanData` ([`SpanDataExport`]), or one that takes the spans as
/// they are (the OTLP encoder of `init::wire`).
pub(crate) trait Export: Send + 'static {
    /// Hands `batch` on, which it may empty (the export thread empties it
    /// after, and keeps its room for the next batch), and pushes onto
    /// `done` how the exports that finished meanwhile went: this batch's,
    /// or, for an exporter that leaves exports in flight, earlier ones'.
    fn export(&mut self, batch: &mut Vec<ExportItem>, done: &mut Vec<Outcome>);

    /// Waits for the exports in flight, and pushes how they went.
    fn flush(&mut self, _done: &mut Vec<Outcome>) {}

    /// Whether exports are in flight: the export thread then calls
    /// [`reap`](Export::reap) every `IN_FLIGHT_CHECK`.
    fn in_flight(&self) -> bool {
        false
    }

    /// Pushes how the exports that have finished went, without waiting.
    fn reap(&mut self, _done: &mut Vec<Outcome>) {}

    fn shutdown(&mut self) -> OTelSdkResult;

    fn set_resource(&mut self, resource: &Resource);
}

/// An SDK exporter behind the batch processor: each record is made into
/// `SpanData` on the export thread, and each export waited for.
#[derive(Debug)]
pub(crate) struct SpanDataExport<E>(pub E);

impl<E: SpanExporter + 'static> Export for SpanDataExport<E> {
    fn export(&mut self, batch: &mut Vec<ExportItem>, done: &mut Vec<Outcome>) {
        let spans: Vec<SpanData> = batch.drain(..).map(ExportItem::into_span_data).collect();
        let count = spans.len();
        done.push((count, futures_executor::block_on(self.0.export(spans))));
    }

    fn shutdown(&mut self) -> OTelSdkResult {
        self.0.shutdown()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// The last failure among `done`, which it empties.
fn last_failure(done: &mut Vec<Outcome>) -> OTelSdkResult {
    done.drain(..)
        .map(|(_, result)| result)
        .rfind(Result::is_err)
        .unwrap_or(Ok(()))
}

impl Batch {
    /// Starts the export thread, which owns `exporter`.
    pub(crate) fn new<E: SpanExporter + 'static>(exporter: E, schedule: Schedule) -> Batch {
        Batch::exporting(SpanDataExport(exporter), schedule)
    }

    /// Starts the export thread, which owns `export`.
    pub(crate) fn exporting<X: Export>(export: X, schedule: Schedule) -> Batch {
        let buffers = Arc::new(Buffers {
            threads: ThreadLocal::new(),
            waiting: AtomicUsize::new(0),
            announced: AtomicBool::new(false),
            shut: AtomicBool::new(false),
            max_batch: schedule.max_batch.max(1),
        });
        // Few messages are ever in flight: one announcement at a time, and
        // flushes and shutdowns, which each wait for their answer.
        let (messages, inbox) = std::sync::mpsc::sync_channel(64);
        let worker = Worker {
            buffers: buffers.clone(),
            exporter: export,
            inbox,
            // A delay of 0 would spin; a millisecond is as good as none.
            delay: schedule.delay.max(Duration::from_millis(1)),
            taken: Vec::new(),
            emptied: Vec::new(),
            batch: Vec::new(),
            done: Vec::new(),
        };
        let worker = std::thread::Builder::new()
            .name("otel_runtime export".into())
            .spawn(move || {
                reentry::for_good();
                worker.run()
            })
            .expect("the export thread could not start");
        Batch {
            buffers,
            messages,
            worker: Mutex::new(Some(worker)),
        }
    }

    /// Sends `message` and waits at most `timeout` for the answer.
    fn ask(
        &self,
        message: impl FnOnce(SyncSender<OTelSdkResult>) -> Message,
        timeout: Duration,
    ) -> OTelSdkResult {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        match self.messages.try_send(message(answer)) {
            Ok(()) => match answered.recv_timeout(timeout) {
                Ok(result) => result,
                Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(timeout)),
                Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::AlreadyShutdown),
            },
            Err(TrySendError::Full(_)) => Err(OTelSdkError::InternalFailure(
                "the export thread has too many flushes and shutdowns waiting".into(),
            )),
            Err(TrySendError::Disconnected(_)) => Err(OTelSdkError::AlreadyShutdown),
        }
    }
}

impl Buffers {
    /// Takes the record out of `finished` into this thread's buffer; true
    /// when it makes a batch.
    #[inline]
    fn add_record(&self, finished: &mut Option<Record>) -> bool {
        let waiting = self.count_one();
        // Taken once the lock is held, straight into the buffer: every
        // move of a record on the way is a copy.
        self.own().records.extend(finished.take());
        self.makes_batch(waiting)
    }

    /// Keeps `span` in this thread's buffer; true when it makes a batch.
    fn add_span(&self, span: SpanData) -> bool {
        let waiting = self.count_one();
        self.own().spans.push(span);
        self.makes_batch(waiting)
    }

    /// Counts one more span waiting; how many wait with it.
    #[inline]
    fn count_one(&self) -> usize {
        self.waiting.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// This thread's buffer.
    #[inline]
    fn own(&self) -> MutexGuard<'_, Finished> {
        self.threads
            .get_or_default()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `waiting` spans make a batch that is not announced yet.
    #[inline]
    fn makes_batch(&self, waiting: usize) -> bool {
        // Announced once until the export thread takes the batch: a load
        // first, as a swap would take the cache line from every thread.
        waiting >= self.max_batch
            && !self.announced.load(Ordering::Relaxed)
            && !self.announced.swap(true, Ordering::Relaxed)
    }

    /// Takes every thread's spans, each thread's in a buffer of their
    /// own, and gives each thread an empty buffer from `emptied` instead.
    fn take_all(&self, taken: &mut Vec<Finished>, emptied: &mut Vec<Finished>) {
        let mut spans = 0;
        for buffer in self.threads.iter() {
            // Swapped under the lock: the thread that owns the buffer waits
            // for a swap, not for a copy of its spans, and gets a buffer that
            // has room already (one that went round before).
            let full = {
                let mut buffer = buffer.lock().unwrap_or_else(PoisonError::into_inner);
                if buffer.is_empty() {
                    continue;
                }
                mem::replace(&mut *buffer, emptied.pop().unwrap_or_default())
            };
            spans += full.len();
            taken.push(full);
        }
        self.waiting.fetch_sub(spans, Ordering::Relaxed);
    }
}

impl Processor for Batch {
    #[inline]
    fn on_end(&self, span: Ended<'_>) {
        if !self.is_open() {
            return;
        }
        let full = match span {
            Ended::Record(record) if record.is_some() => self.buffers.add_record(record),
            Ended::Data(data) => match data.take() {
                Some(data) => self.buffers.add_span(data),
                None => return,
            },
            Ended::Record(_) => return,
        };
        self.announce_if(full);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.ask(Message::Flush, FLUSH_TIMEOUT)
    }

    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.buffers.shut.store(true, Ordering::Relaxed);
        let result = self.ask(Message::Shutdown, timeout);
        if result.is_ok() {
            let worker = self
                .worker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(worker) = worker {
                // It has answered: all that is left is to return.
                let _ = worker.join();
            }
        }
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        let _ = self.messages.try_send(Message::Resource(resource.clone()));
    }
}

impl Batch {
    #[inline]
    fn is_open(&self) -> bool {
        !self.buffers.shut.load(Ordering::Relaxed)
    }

    #[inline]
    fn announce_if(&self, full: bool) {
        if full && self.messages.try_send(Message::Export).is_err() {
            // Full of flushes, or shut down: the next span announces again.
            self.buffers.announced.store(false, Ordering::Relaxed);
        }
    }
}

/// One thread's finished spans, each kind in the order they ended.
#[derive(Debug, Default)]
struct Finished {
    /// Made directly (`engine::direct`): made into `SpanData` on the
    /// export thread. Kept by value, not boxed: a box would be allocated by
    /// the calling thread and freed by the export thread, which is what
    /// records are for not doing.
    records: Vec<Record>,
    /// Made by the SDK's tracer.
    spans: Vec<SpanData>,
}

impl Finished {
    fn len(&self) -> usize {
        self.records.len() + self.spans.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The export thread's state.
struct Worker<E> {
    buffers: Arc<Buffers>,
    exporter: E,
    inbox: Receiver<Message>,
    delay: Duration,
    /// The buffers taken from the threads, one per thread.
    taken: Vec<Finished>,
    /// Buffers exported, empty, for the threads' next ones: a buffer keeps
    /// its room as it goes round, so that a thread seldom grows one.
    emptied: Vec<Finished>,
    /// The batch being exported, kept with its room.
    batch: Vec<ExportItem>,
    /// How the exports that finished went, until told.
    done: Vec<Outcome>,
}

impl<E: Export> Worker<E> {
    fn run(mut self) {
        // What the exporter does (an HTTP client's own spans) is not traced.
        let _suppressed = Context::enter_telemetry_suppressed_scope();
        super::reentry::within(|| {
            let mut next = Instant::now().checked_add(self.delay);
            loop {
                let message = match self.wake_at(next) {
                    Some(at) => self
                        .inbox
                        .recv_timeout(at.saturating_duration_since(Instant::now())),
                    None => self
                        .inbox
                        .recv()
                        .map_err(|_| RecvTimeoutError::Disconnected),
                };
                // An export's failure is counted and reported by the
                // exporter's wrapper (`loss::Counted`); only a flush or a
                // shutdown hands it on.
                match message {
                    Ok(Message::Resource(resource)) => {
                        self.exporter.set_resource(&resource);
                        continue;
                    }
                    // Woken before the delay, for exports in flight.
                    Err(RecvTimeoutError::Timeout)
                        if next.is_some_and(|at| Instant::now() < at) =>
                    {
                        self.exporter.reap(&mut self.done);
                        self.done.clear();
                        continue;
                    }
                    Ok(Message::Export) => {
                        self.buffers.announced.store(false, Ordering::Relaxed);
                        self.export();
                        self.done.clear();
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        self.export();
                        self.done.clear();
                    }
                    Ok(Message::Flush(answer)) => {
                        let _ = answer.send(self.flushed());
                    }
                    Ok(Message::Shutdown(answer)) => {
                        let result = self.flushed();
                        let _ = self.exporter.shutdown();
                        let _ = answer.send(result);
                        return;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                next = Instant::now().checked_add(self.delay);
            }
        });
    }

    /// When to wake: at `next`, the delay's end, or sooner while exports
    /// are in flight, to count each soon after it finishes.
    fn wake_at(&self, next: Option<Instant>) -> Option<Instant> {
        if !self.exporter.in_flight() {
            return next;
        }
        let soon = Instant::now() + IN_FLIGHT_CHECK;
        Some(next.map_or(soon, |next| next.min(soon)))
    }

    /// Exports every span waiting now and waits for every export in
    /// flight; the last failure, if any.
    fn flushed(&mut self) -> OTelSdkResult {
        self.export();
        self.exporter.flush(&mut self.done);
        last_failure(&mut self.done)
    }

    /// Exports every span waiting now, in batches. An export's failure is
    /// counted and reported by the exporter's wrapper (`loss::Counted`);
    /// only a flush or a shutdown hands it on.
    fn export(&mut self) {
        self.buffers.take_all(&mut self.taken, &mut self.emptied);
        let mut heads: Vec<Head<'_>> = self
            .taken
            .iter_mut()
            .flat_map(|buffer| {
                [
                    Head::Records(buffer.records.drain(..)),
                    Head::Spans(buffer.spans.drain(..)),
                ]
            })
            .collect();
        loop {
            next_batch(&mut heads, self.buffers.max_batch, &mut self.batch);
            if self.batch.is_empty() {
                break;
            }
            self.exporter.export(&mut self.batch, &mut self.done);
            self.batch.clear();
        }
        drop(heads);
        self.emptied.append(&mut self.taken);
    }
}

/// Up to `max` spans from the threads' buffers, in the order they ended, as
/// from one queue: a span that ended before its parent never comes in a
/// later batch (the console prints a trace when its root comes, and a
/// later child on its own). Each buffer is in that order already.
fn next_batch(heads: &mut [Head<'_>], max: usize, batch: &mut Vec<ExportItem>) {
    // At its final size: growing it would move every span again.
    let left: usize = heads.iter().map(Head::len).sum();
    batch.reserve(left.min(max));
    while batch.len() < max {
        let first = heads
            .iter()
            .enumerate()
            .filter_map(|(at, head)| Some((head.next_end()?, at)))
            .min();
        match first.and_then(|(_, at)| heads[at].next_span()) {
            Some(span) => batch.push(span),
            None => break,
        }
    }
}

/// What is left of one kind of spans of one thread's buffer. Looked at in
/// place (not `Peekable`, which would move each span once more).
enum Head<'a> {
    Records(Drain<'a, Record>),
    Spans(Drain<'a, SpanData>),
}

impl Head<'_> {
    fn len(&self) -> usize {
        match self {
            Head::Records(records) => records.len(),
            Head::Spans(spans) => spans.len(),
        }
    }

    /// When the next span ended.
    fn next_end(&self) -> Option<SystemTime> {
        match self {
            Head::Records(records) => records.as_slice().first().map(|record| record.end_time),
            Head::Spans(spans) => spans.as_slice().first().map(|span| span.end_time),
        }
    }

    fn next_span(&mut self) -> Option<ExportItem> {
        match self {
            Head::Records(records) => records.next().map(ExportItem::Record),
            Head::Spans(spans) => spans.next().map(ExportItem::Span),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::AtomicU64;

    use opentelemetry::trace::SpanContext;
    use opentelemetry::trace::{SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};

    use super::*;

    /// Keeps each batch's span IDs; fails when told to.
    #[derive(Debug, Default, Clone)]
    struct Keep {
        batches: Arc<Mutex<Vec<Vec<u64>>>>,
        shut: Arc<AtomicBool>,
        resource: Arc<Mutex<Option<Resource>>>,
        fail: Arc<AtomicBool>,
        exports: Arc<AtomicU64>,
    }

    impl SpanExporter for Keep {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.exports.fetch_add(1, Ordering::SeqCst);
            let ids = batch
                .iter()
                .map(|span| u64::from_be_bytes(span.span_context.span_id().to_bytes()))
                .collect();
            self.batches.lock().unwrap().push(ids);
            match self.fail.load(Ordering::SeqCst) {
                true => Err(OTelSdkError::InternalFailure("down".into())),
                false => Ok(()),
            }
        }

        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            self.shut.store(true, Ordering::SeqCst);
            Ok(())
        }

        fn set_resource(&mut self, resource: &Resource) {
            *self.resource.lock().unwrap() = Some(resource.clone());
        }
    }

    impl Keep {
        /// Every span ID exported, in the order exported.
        fn sent(&self) -> Vec<u64> {
            self.batches.lock().unwrap().concat()
        }

        fn all(&self) -> Vec<u64> {
            let mut all: Vec<u64> = self.batches.lock().unwrap().concat();
            all.sort_unstable();
            all
        }
    }

    /// A sampled span with span ID `id`, ended `id` seconds after the epoch.
    pub(crate) fn span(id: u64) -> SpanData {
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(1_u128),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "work".into(),
            start_time: std::time::SystemTime::UNIX_EPOCH,
            // Each ends at a second of its own, in the order of their IDs.
            end_time: std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(id),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: Default::default(),
        }
    }

    /// A processor for `keep` that exports on a full batch of `max_batch`,
    /// a flush or shutdown, never after a delay.
    fn waiting_for_flush(keep: &Keep, max_batch: usize) -> Batch {
        let never = Duration::from_secs(3600);
        Batch::new(
            keep.clone(),
            Schedule {
                delay: never,
                max_batch,
            },
        )
    }

    #[test]
    fn records_are_made_into_spans_in_the_order_they_ended_among_the_sdks() {
        let keep = Keep::default();
        let batch = waiting_for_flush(&keep, 1000);
        for n in 1..=10 {
            match n % 2 {
                0 => batch.on_end(Ended::Record(&mut Some(
                    crate::engine::record::tests::record(n),
                ))),
                _ => batch.on_end(Ended::Data(&mut Some(span(n)))),
            }
        }
        batch.force_flush().unwrap();
        let sent = keep.sent();
        assert_eq!(sent, (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_flush_exports_every_threads_spans_in_batches_of_the_most_allowed() {
        let keep = Keep::default();
        let batch = Arc::new(waiting_for_flush(&keep, 1000));
        // 4 threads × 150 spans: no batch is full before the flush.
        let threads: Vec<_> = (0..4_u64)
            .map(|thread| {
                let batch = batch.clone();
                std::thread::spawn(move || {
                    for n in 0..150 {
                        batch.on_end(Ended::Data(&mut Some(span(thread * 1000 + n + 1))));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(keep.exports.load(Ordering::SeqCst), 0, "exported early");
        batch.force_flush().unwrap();
        let expected: Vec<u64> = (0..4_u64)
            .flat_map(|thread| (0..150).map(move |n| thread * 1000 + n + 1))
            .collect();
        assert_eq!(keep.all(), expected);
        assert_eq!(keep.batches.lock().unwrap().len(), 1);
        assert_eq!(batch.buffers.waiting.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_full_batch_is_exported_without_waiting_for_the_delay() {
        let keep = Keep::default();
        let batch = waiting_for_flush(&keep, 10);
        for n in 1..=25 {
            batch.on_end(Ended::Data(&mut Some(span(n))));
        }
        // Two full batches announced themselves; wait for their export.
        let deadline = Instant::now() + Duration::from_secs(10);
        while keep.all().len() < 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let exported = keep.all().len();
        assert!(exported >= 20, "{exported} exported without a flush");
        batch.force_flush().unwrap();
        assert_eq!(keep.all(), (1..=25).collect::<Vec<_>>());
        assert!(
            keep.batches.lock().unwrap().iter().all(|b| b.len() <= 10),
            "a batch over the limit: {:?}",
            keep.batches.lock().unwrap()
        );
    }

    #[test]
    fn spans_from_many_threads_go_out_in_the_order_they_ended() {
        let keep = Keep::default();
        let batch = Arc::new(waiting_for_flush(&keep, 4));
        // Thread t ends spans t+1, t+4, t+7…: each buffer holds every
        // third, and no thread's spans come one after the other. All three
        // live until all have ended theirs: a thread that has exited hands
        // its buffer to the next one started.
        let all_ended = std::sync::Barrier::new(3);
        std::thread::scope(|scope| {
            for thread in 0..3_u64 {
                let (batch, all_ended) = (&batch, &all_ended);
                scope.spawn(move || {
                    for n in (thread + 1..=30).step_by(3) {
                        batch.buffers.add_span(span(n));
                    }
                    all_ended.wait();
                });
            }
        });
        batch.force_flush().unwrap();
        let sent = keep.sent();
        assert_eq!(sent, (1..=30).collect::<Vec<_>>());
    }

    #[test]
    fn spans_of_a_thread_that_has_exited_are_still_exported() {
        let keep = Keep::default();
        let batch = Arc::new(waiting_for_flush(&keep, 512));
        let ended = batch.clone();
        std::thread::spawn(move || ended.on_end(Ended::Data(&mut Some(span(5)))))
            .join()
            .unwrap();
        batch.force_flush().unwrap();
        assert_eq!(keep.all(), vec![5]);
    }

    #[test]
    fn spans_are_exported_after_the_delay() {
        let keep = Keep::default();
        let batch = Batch::new(
            keep.clone(),
            Schedule {
                delay: Duration::from_millis(20),
                max_batch: 512,
            },
        );
        batch.on_end(Ended::Data(&mut Some(span(7))));
        let deadline = Instant::now() + Duration::from_secs(10);
        while keep.all().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(keep.all(), vec![7]);
    }

    #[test]
    fn shutdown_exports_what_waits_shuts_the_exporter_and_keeps_nothing_after() {
        let keep = Keep::default();
        let mut batch = waiting_for_flush(&keep, 512);
        let resource = Resource::builder_empty()
            .with_service_name("checkout")
            .build();
        batch.set_resource(&resource);
        batch.on_end(Ended::Data(&mut Some(span(1))));
        batch.on_end(Ended::Data(&mut Some(span(2))));
        batch.shutdown(Duration::from_secs(5)).unwrap();
        assert_eq!(keep.all(), vec![1, 2]);
        assert!(keep.shut.load(Ordering::SeqCst));
        assert_eq!(keep.resource.lock().unwrap().as_ref(), Some(&resource));
        batch.on_end(Ended::Data(&mut Some(span(3))));
        assert!(
            matches!(batch.force_flush(), Err(OTelSdkError::AlreadyShutdown)),
            "flushed after shutdown"
        );
        assert_eq!(keep.all(), vec![1, 2]);
        assert!(
            batch.shutdown(Duration::from_secs(5)).is_err(),
            "shut down twice"
        );
    }

    #[test]
    fn a_failed_export_is_the_flushs_result_and_later_spans_still_go() {
        let keep = Keep::default();
        let batch = waiting_for_flush(&keep, 512);
        keep.fail.store(true, Ordering::SeqCst);
        batch.on_end(Ended::Data(&mut Some(span(1))));
        assert!(batch.force_flush().is_err());
        keep.fail.store(false, Ordering::SeqCst);
        batch.on_end(Ended::Data(&mut Some(span(2))));
        batch.force_flush().unwrap();
        assert_eq!(keep.all(), vec![1, 2]);
    }
}
