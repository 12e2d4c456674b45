//! What every bench binary shares: the benchmarked function in each
//! library's dress, the discarding exporter and reporter, and the set-ups.
//! Each binary uses a part of it.
#![allow(dead_code, reason = "each bench binary uses a different part")]

use std::future::Future;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Poll, Waker};
use std::time::{Instant, SystemTime};

use criterion::Bencher;
use otel_runtime::opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use otel_runtime::opentelemetry::{Context, KeyValue};
use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
use otel_runtime::opentelemetry_sdk::trace::{
    BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler, SdkTracerProvider, SpanData,
    SpanExporter,
};

/// The arguments of every call, passed through `black_box` at each one.
pub const A: u64 = 42;
pub const S: &str = "SELECT * FROM orders";

/// Calls `work(A, S)` once per iteration, hiding the arguments and the
/// result from the optimizer.
pub fn call(b: &mut Bencher<'_>, work: impl Fn(u64, &str) -> u64) {
    b.iter(|| black_box(work(black_box(A), black_box(S))));
}

/// The same for an `async fn`: each iteration polls the future once.
pub fn call_async<F: Future<Output = u64>>(
    b: &mut Bencher<'_>,
    work: impl Fn(u64, &'static str) -> F,
) {
    b.iter(|| black_box(ready(work(black_box(A), black_box(S)))));
}

/// Polls a future that never waits to completion, with no executor, so the
/// async cases measure the instrumentation and not a runtime.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benchmarked futures never wait"),
    }
}

/// The body of every variant. Not inlined, so that each variant makes the
/// same one real call and the baseline is not folded to a constant.
#[inline(never)]
pub fn body(a: u64, s: &str) -> u64 {
    black_box(a).wrapping_add(black_box(s).len() as u64)
}

/// No instrumentation: the baseline.
pub mod plain {
    pub fn work(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }

    pub async fn work_async(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }
}

/// Ours: both arguments become attributes without being named.
pub mod traced {
    use otel_runtime::traced;

    #[traced]
    pub fn work(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }

    #[traced]
    pub async fn work_async(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }

    /// Three spans deep: `work_outer` > `work_mid` > `work`.
    #[traced]
    pub fn work_outer(a: u64, s: &str) -> u64 {
        work_mid(a, s)
    }

    #[traced]
    fn work_mid(a: u64, s: &str) -> u64 {
        work(a, s)
    }
}

/// The same span written by hand against the API, with a tracer obtained
/// once, as hand-written code keeps it: the SDK's own, or the global one
/// when no provider is installed.
pub mod raw_sdk {
    use super::*;
    use otel_runtime::opentelemetry::trace::Tracer;

    pub fn work<T: Tracer>(tracer: &T, a: u64, s: &str) -> u64
    where
        T::Span: Send + Sync + 'static,
    {
        tracer.in_span("work", |cx| {
            record_args(&cx, a, s);
            super::body(a, s)
        })
    }

    /// Three spans deep, each with both attributes.
    pub fn work_outer<T: Tracer>(tracer: &T, a: u64, s: &str) -> u64
    where
        T::Span: Send + Sync + 'static,
    {
        tracer.in_span("work_outer", |cx| {
            record_args(&cx, a, s);
            tracer.in_span("work_mid", |cx| {
                record_args(&cx, a, s);
                work(tracer, a, s)
            })
        })
    }

    /// The span `#[traced]` makes, by hand: the two arguments and the
    /// three `code.*` attributes.
    pub fn work_same_span<T: Tracer>(tracer: &T, a: u64, s: &str) -> u64
    where
        T::Span: Send + Sync + 'static,
    {
        tracer.in_span("work", |cx| {
            let span = cx.span();
            span.set_attribute(KeyValue::new("code.function.name", "common::raw_sdk::work"));
            span.set_attribute(KeyValue::new("code.file.path", file!()));
            span.set_attribute(KeyValue::new("code.line.number", i64::from(line!())));
            record_args(&cx, a, s);
            super::body(a, s)
        })
    }

    fn record_args(cx: &Context, a: u64, s: &str) {
        let span = cx.span();
        span.set_attribute(KeyValue::new("a", i64::try_from(a).unwrap_or(i64::MAX)));
        span.set_attribute(KeyValue::new("s", s.to_owned()));
    }
}

/// `tracing`'s `#[instrument]`, which records both arguments by default.
pub mod instrument {
    use tracing::instrument;

    #[instrument]
    pub fn work(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }

    #[instrument]
    pub async fn work_async(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }

    #[instrument]
    pub fn work_outer(a: u64, s: &str) -> u64 {
        work_mid(a, s)
    }

    #[instrument]
    fn work_mid(a: u64, s: &str) -> u64 {
        work(a, s)
    }
}

/// `fastrace`'s `#[trace]`; its properties are strings, formatted lazily.
pub mod fastrace_fns {
    use fastrace::trace;

    #[trace(short_name = true, properties = { "a": "{a}", "s": "{s}" })]
    pub fn work(a: u64, s: &str) -> u64 {
        super::body(a, s)
    }

    #[trace(short_name = true, properties = { "a": "{a}", "s": "{s}" })]
    pub fn work_outer(a: u64, s: &str) -> u64 {
        work_mid(a, s)
    }

    #[trace(short_name = true, properties = { "a": "{a}", "s": "{s}" })]
    fn work_mid(a: u64, s: &str) -> u64 {
        work(a, s)
    }
}

/// Calls per fastrace root span. fastrace records only under a root, which
/// its users open per request; its cost, and handing the finished spans to
/// the collector when it ends, are shared by this many calls.
pub const CALLS_PER_ROOT: u64 = 100;

/// Like [`call`], inside fastrace root spans of [`CALLS_PER_ROOT`] calls.
///
/// fastrace drops no span: what its collector thread has not taken yet
/// waits in a queue that grows. Each sample ends, untimed, by draining it,
/// so that no sample (nor the next case) runs beside the previous one's
/// backlog.
pub fn call_in_fastrace_roots(b: &mut Bencher<'_>, work: impl Fn(u64, &str) -> u64) {
    b.iter_custom(|iters| {
        let start = Instant::now();
        let mut left = iters;
        while left > 0 {
            let calls = left.min(CALLS_PER_ROOT);
            let root = fastrace::Span::root("request", fastrace::collector::SpanContext::random());
            let _parent = root.set_local_parent();
            for _ in 0..calls {
                black_box(work(black_box(A), black_box(S)));
            }
            left -= calls;
        }
        let elapsed = start.elapsed();
        fastrace::flush();
        elapsed
    });
}

/// A fastrace reporter that drops what it is given.
pub struct DiscardReporter;

impl fastrace::collector::Reporter for DiscardReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        if CAPTURE.load(Ordering::Relaxed) {
            for span in &spans {
                let keys = span.properties.iter().map(|(key, _)| key.as_ref());
                seen("fastrace", &span.name, keys);
            }
        }
        drop(spans);
    }
}

/// An exporter that drops every batch at once, so that the recording cases
/// measure the instrumentation and the SDK, not serialization or I/O.
#[derive(Debug)]
pub struct DiscardExporter;

/// Spans the [`DiscardExporter`] was given: what the batch processor kept.
pub static EXPORTED: AtomicU64 = AtomicU64::new(0);

impl SpanExporter for DiscardExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        EXPORTED.fetch_add(batch.len() as u64, Ordering::Relaxed);
        if CAPTURE.load(Ordering::Relaxed) {
            for span in &batch {
                let keys = span.attributes.iter().map(|kv| kv.key.as_str());
                seen(span.instrumentation_scope.name(), &span.name, keys);
            }
        }
        drop(batch);
        Ok(())
    }
}

/// A metrics exporter that drops every reading.
pub struct DiscardMetrics;

impl otel_runtime::opentelemetry_sdk::metrics::exporter::PushMetricExporter for DiscardMetrics {
    async fn export(
        &self,
        _: &otel_runtime::opentelemetry_sdk::metrics::data::ResourceMetrics,
    ) -> OTelSdkResult {
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> otel_runtime::opentelemetry_sdk::metrics::Temporality {
        otel_runtime::opentelemetry_sdk::metrics::Temporality::Cumulative
    }
}

/// While set, the exporter and the reporter note what they are given, so
/// that a bench binary can check, before measuring, that each case makes
/// the span it claims to.
pub static CAPTURE: AtomicBool = AtomicBool::new(false);

/// `"scope name"` of each captured span that carries both arguments.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn seen<'a>(scope: &str, name: &str, keys: impl Iterator<Item = &'a str>) {
    let keys: Vec<&str> = keys.collect();
    if keys.contains(&"a") && keys.contains(&"s") {
        SEEN.lock().unwrap().push(format!("{scope} {name}"));
    }
}

/// Runs `calls` with capture on, flushes the provider and fastrace, and
/// returns the `"scope name"` of each span that reached them with both
/// arguments recorded.
pub fn capture(provider: &SdkTracerProvider, calls: impl FnOnce()) -> Vec<String> {
    capture_flushing(|| provider.force_flush().expect("flush"), calls)
}

/// [`capture`], for spans that go to more than one provider: `flush` flushes
/// each of them.
pub fn capture_flushing(flush: impl FnOnce(), calls: impl FnOnce()) -> Vec<String> {
    SEEN.lock().unwrap().clear();
    CAPTURE.store(true, Ordering::Relaxed);
    calls();
    flush();
    fastrace::flush();
    CAPTURE.store(false, Ordering::Relaxed);
    let mut seen = std::mem::take(&mut *SEEN.lock().unwrap());
    seen.sort();
    seen
}

/// A provider with the SDK's batch processor (default settings) over the
/// discarding exporter.
pub fn provider(sampler: Sampler) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_span_processor(BatchSpanProcessor::builder(DiscardExporter).build())
        .build()
}

/// Makes `tracing-opentelemetry` over `provider` tracing's global
/// subscriber: the global one, since a scoped one slows every dispatch.
pub fn install_tracing_opentelemetry(provider: &SdkTracerProvider) {
    use otel_runtime::opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    let layer =
        tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing-opentelemetry"));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("no other subscriber in this binary");
}

/// The context of a request whose caller did not sample its trace: a
/// remote parent with the sampled flag off.
pub fn unsampled_remote_parent() -> Context {
    let parent = SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::default(),
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(parent)
}

/// What any span costs at least: a start and an end time, and a random
/// trace and span ID as the SDK's default generator makes them.
pub fn floor(ids: &RandomIdGenerator) -> (SystemTime, TraceId, SpanId, SystemTime) {
    let start = SystemTime::now();
    let trace_id = ids.new_trace_id();
    let span_id = ids.new_span_id();
    (start, trace_id, span_id, SystemTime::now())
}

/// How many spans an OTLP export request carries (the benches' receivers
/// count what arrives).
pub fn spans_in(
    request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> u64 {
    request
        .resource_spans
        .iter()
        .flat_map(|resource| &resource.scope_spans)
        .map(|scope| scope.spans.len() as u64)
        .sum()
}
