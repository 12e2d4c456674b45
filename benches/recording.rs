//! Every span recorded: the SDK's batch processor over an exporter that
//! discards, for the raw SDK and `tracing-opentelemetry` (one provider), and
//! for `#[traced]` as programs set it up, by `otel_runtime::init` (with the
//! same exporter and processor settings); fastrace with a reporter that
//! discards. Also a `#[traced]` call inside a trace its caller did not
//! sample.

mod common;

use std::sync::atomic::Ordering;

use common::{
    A, S, call, call_async, call_in_fastrace_roots, fastrace_fns, instrument, provider, raw_sdk,
    traced,
};
use criterion::Criterion;
use otel_runtime::Guard;
use otel_runtime::opentelemetry::trace::TracerProvider as _;
use otel_runtime::opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};

/// Spans made back to back before the measurements, to report how many the
/// batch processors' bounded queues kept.
const PROBE_SPANS: u64 = 100_000;

fn main() {
    // The SDK's default sampler, named: it decides by the parent. `init`
    // gets the same one by default (`OTEL_TRACES_SAMPLER` unset), as
    // programs do; passed in code, a `ParentBased` sampler hides its root
    // sampler, and every root asks it (`BENCHMARKS.md`).
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let provider = provider(sampler);
    let guard = otel_runtime::builder()
        .span_exporter(common::DiscardExporter)
        // The global subscriber is tracing-opentelemetry's, below.
        .tracing_subscriber(false)
        .init()
        .expect("the only init of this binary");
    common::install_tracing_opentelemetry(&provider);
    fastrace::set_reporter(
        common::DiscardReporter,
        fastrace::collector::Config::default(),
    );
    let tracer = provider.tracer("raw-sdk");
    check_cases(&provider, &guard, &tracer);
    report_queue_drops(&provider, &guard, &tracer);

    let mut c = Criterion::default().configure_from_args();

    let mut group = c.benchmark_group("recording");
    group.bench_function("traced", |b| call(b, traced::work));
    group.bench_function("raw_sdk", |b| call(b, |a, s| raw_sdk::work(&tracer, a, s)));
    group.bench_function("tracing_otel", |b| call(b, instrument::work));
    group.bench_function("fastrace", |b| {
        call_in_fastrace_roots(b, fastrace_fns::work);
    });
    group.finish();

    let mut group = c.benchmark_group("recording_nested3");
    group.bench_function("traced", |b| call(b, traced::work_outer));
    group.bench_function("raw_sdk", |b| {
        call(b, |a, s| raw_sdk::work_outer(&tracer, a, s));
    });
    group.bench_function("tracing_otel", |b| call(b, instrument::work_outer));
    group.bench_function("fastrace", |b| {
        call_in_fastrace_roots(b, fastrace_fns::work_outer);
    });
    group.finish();

    let mut group = c.benchmark_group("recording_async");
    group.bench_function("traced", |b| call_async(b, traced::work_async));
    group.bench_function("tracing_otel", |b| call_async(b, instrument::work_async));
    group.finish();

    // The parent-based sampler drops the span, as the caller asked.
    let unsampled = common::unsampled_remote_parent();
    let mut group = c.benchmark_group("unsampled_parent");
    group.bench_function("traced", |b| {
        let _parent = unsampled.clone().attach();
        call(b, traced::work);
    });
    group.bench_function("raw_sdk", |b| {
        let _parent = unsampled.clone().attach();
        call(b, |a, s| raw_sdk::work(&tracer, a, s));
    });
    group.bench_function("tracing_otel", |b| {
        let _parent = unsampled.clone().attach();
        call(b, instrument::work);
    });
    group.finish();

    c.final_summary();
}

/// Checks, before measuring, that each recording case exports its spans
/// with both arguments, and that under the unsampled parent none does.
fn check_cases(provider: &SdkTracerProvider, guard: &Guard, tracer: &SdkTracer) {
    let flush = || {
        provider.force_flush().expect("flush");
        guard.flush().expect("flush");
    };
    let seen = common::capture_flushing(flush, || {
        traced::work(A, S);
        traced::work_outer(A, S);
        common::ready(traced::work_async(A, S));
        raw_sdk::work(tracer, A, S);
        raw_sdk::work_outer(tracer, A, S);
        instrument::work(A, S);
        instrument::work_outer(A, S);
        common::ready(instrument::work_async(A, S));
        let root = fastrace::Span::root("request", fastrace::collector::SpanContext::random());
        let _parent = root.set_local_parent();
        fastrace_fns::work(A, S);
        fastrace_fns::work_outer(A, S);
    });
    let mut expected = Vec::new();
    for scope in ["otel-bench", "raw-sdk", "tracing-opentelemetry", "fastrace"] {
        for name in ["work", "work", "work_mid", "work_outer"] {
            expected.push(format!("{scope} {name}"));
        }
    }
    expected
        .extend(["otel-bench work_async", "tracing-opentelemetry work_async"].map(String::from));
    expected.sort();
    assert_eq!(seen, expected, "spans made by one call of each case");

    let unsampled = common::unsampled_remote_parent();
    let seen = common::capture_flushing(flush, || {
        let _parent = unsampled.attach();
        traced::work(A, S);
        raw_sdk::work(tracer, A, S);
        instrument::work(A, S);
    });
    assert_eq!(
        seen,
        Vec::<String>::new(),
        "spans made under an unsampled parent"
    );
}

/// Prints how many of [`PROBE_SPANS`] spans made as fast as possible each
/// batch processor (`init`'s and the raw SDK's) handed to the exporter. A
/// full queue drops spans; the caller then frees the span itself, where the
/// processor's thread would have freed an exported one, so the measured
/// cost differs a little. Each is counted on its second round: the first
/// round of a process keeps fewer, whichever goes first.
fn report_queue_drops(provider: &SdkTracerProvider, guard: &Guard, tracer: &SdkTracer) {
    let kept = |make: &dyn Fn(), flush: &dyn Fn()| {
        let before = common::EXPORTED.load(Ordering::Relaxed);
        for _ in 0..PROBE_SPANS {
            make();
        }
        flush();
        common::EXPORTED.load(Ordering::Relaxed) - before
    };
    let (mut traced, mut raw) = (0, 0);
    for _round in 0..2 {
        traced = kept(
            &|| {
                std::hint::black_box(traced::work(A, S));
            },
            &|| {
                let _ = guard.flush();
            },
        );
        raw = kept(
            &|| {
                std::hint::black_box(raw_sdk::work(tracer, A, S));
            },
            &|| {
                let _ = provider.force_flush();
            },
        );
    }
    eprintln!(
        "batch processor: of {PROBE_SPANS} spans made back to back, {traced} were exported \
         through `init` (`#[traced]`) and {raw} through the raw SDK's; the full queue dropped \
         the rest"
    );
}
