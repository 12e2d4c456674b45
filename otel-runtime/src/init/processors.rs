//! The processors `init` sets up: each exporter behind a batch processor,
//! with a bounded, counted queue in front (`OTEL_BSP_*`).

use std::sync::Arc;

use crate::console::{ConsoleExporter, OpenRoots, TrackRoots};
use crate::engine::{Batch, Counted, CountedIn, Processor, Queue, Schedule, Truncating};

/// `exporter` behind a batch processor (configured by `OTEL_BSP_*`), both
/// counted, text values cut to the length limit.
pub(super) fn with_exporter(
    exporter: impl opentelemetry_sdk::trace::SpanExporter + 'static,
    batching: Batching,
) -> Box<dyn Processor> {
    let queue = Queue::new(batching.max_queue_size);
    Box::new(CountedIn {
        inner: batch(exporter, &queue, batching.schedule),
        queue,
    })
}

/// The console exporter, which prints a trace when the last of its local
/// roots ends: a trace that comes back into this process through one of its
/// HTTP servers is printed whole, once.
pub(super) fn with_console(batching: Batching) -> Box<dyn Processor> {
    let roots = Arc::new(OpenRoots::default());
    let exporter = ConsoleExporter::stdout().waiting_for(roots.clone());
    let queue = Queue::new(batching.max_queue_size);
    Box::new(CountedIn {
        inner: TrackRoots::new(roots, batch(exporter, &queue, batching.schedule)),
        queue,
    })
}

/// The batch processors' settings (`OTEL_BSP_*`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Batching {
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, at most `env::MAX_QUEUE_SIZE`.
    pub(super) max_queue_size: usize,
    pub(super) schedule: Schedule,
}

/// A batch processor for `exporter`, behind `queue`, which admits spans in
/// front of it.
fn batch(
    exporter: impl opentelemetry_sdk::trace::SpanExporter + 'static,
    queue: &Arc<Queue>,
    schedule: Schedule,
) -> Batch {
    let exporter = Counted {
        inner: Truncating(exporter),
        queue: queue.clone(),
    };
    Batch::new(exporter, schedule)
}
