//! The processors `init` sets up: each exporter behind a batch processor,
//! with a bounded, counted queue in front (`OTEL_BSP_*`).

use std::sync::Arc;

#[cfg(feature = "console")]
use crate::console::{ConsoleExporter, OpenRoots, Screen, TrackRoots};
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
use crate::engine::Export;
use crate::engine::{Batch, Counted, CountedIn, Processor, Queue, Schedule, Truncating};

use super::env::EnvConfig;
use super::tls::Tls;

/// What the console fallback is called where a message names it.
const FALLBACK: &str = if cfg!(feature = "console") {
    "printing traces on standard output instead"
} else {
    "spans are not exported"
};

/// The OTLP exporter's processor; `None` when OTLP cannot be set up (said
/// why: the console takes its place, and nothing is lost).
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
pub(super) fn otlp(env: &EnvConfig, tls: &Tls, batching: Batching) -> Option<Box<dyn Processor>> {
    // With no usable endpoint, reported already.
    let endpoint = env.otlp_endpoint.url()?;
    let settings = super::otlp::Settings {
        protocol: env.otlp_protocol,
        endpoint,
        headers: &env.otlp_headers,
        timeout: env.otlp_timeout,
    };
    // Over gRPC and HTTP/protobuf, spans are encoded straight to the wire
    // (`wire`); over HTTP/JSON, through `opentelemetry-otlp`.
    let built = match super::wire::OtlpSpans::build(&settings, tls, batching.max_concurrent_exports)
    {
        Some(Ok(exporter)) => Ok(with_export(exporter, batching)),
        Some(Err(error)) => Err(error),
        None => {
            super::otlp::build(&settings, tls).map(|exporter| with_exporter(exporter, batching))
        }
    };
    match built {
        Ok(processor) => Some(processor),
        Err(error) => {
            eprintln!("otel_runtime: cannot set up the OTLP exporter: {error}; {FALLBACK}");
            None
        }
    }
}

/// Without an OTLP transport compiled in, OTLP is refused, saying which
/// feature brings it.
#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
pub(super) fn otlp(_: &EnvConfig, _: &Tls, _: Batching) -> Option<Box<dyn Processor>> {
    eprintln!(
        "otel_runtime: cannot set up the OTLP exporter: otel-runtime was built without \
         its `otlp-grpc` and `otlp-http` features; {FALLBACK}"
    );
    None
}

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

/// `export` (which takes the spans as the batch processor holds them)
/// behind a batch processor, both counted.
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn with_export(export: impl Export, batching: Batching) -> Box<dyn Processor> {
    let queue = Queue::new(batching.max_queue_size);
    let export = Counted {
        inner: export,
        queue: queue.clone(),
    };
    Box::new(CountedIn {
        inner: Batch::exporting(export, batching.schedule),
        queue,
    })
}

/// The console exporter, which prints a trace when the last of its local
/// roots ends: a trace that comes back into this process through one of its
/// HTTP servers is printed whole, once.
#[cfg(feature = "console")]
pub(super) fn console(batching: Batching) -> Option<Box<dyn Processor>> {
    let roots = Arc::new(OpenRoots::default());
    let exporter = ConsoleExporter::new(Screen::stdout()).waiting_for(roots.clone());
    let queue = Queue::new(batching.max_queue_size);
    Some(Box::new(CountedIn {
        inner: TrackRoots::new(roots, batch(exporter, &queue, batching.schedule)),
        queue,
    }))
}

/// Without the `console` feature, nothing: said once.
#[cfg(not(feature = "console"))]
pub(super) fn console(_: Batching) -> Option<Box<dyn Processor>> {
    eprintln!(
        "otel_runtime: the console exporter needs otel-runtime's `console` feature; \
         spans are not exported"
    );
    None
}

/// The batch processors' settings (`OTEL_BSP_*`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Batching {
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, at most `env::MAX_QUEUE_SIZE`.
    pub(super) max_queue_size: usize,
    pub(super) schedule: Schedule,
    /// `OTEL_BSP_MAX_CONCURRENT_EXPORTS`, which only the OTLP span
    /// exporter over gRPC and HTTP/protobuf honours (read without them).
    #[cfg_attr(
        not(any(feature = "otlp-grpc", feature = "otlp-http")),
        allow(dead_code)
    )]
    pub(super) max_concurrent_exports: usize,
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
