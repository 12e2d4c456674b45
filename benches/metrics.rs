//! Traced calls' durations (`code.function.duration`), in one run: a
//! `#[traced]` call set up by `init` with the function metrics off and on;
//! and, for the same measurement by hand, a plain call timed with `Instant`
//! and recorded through the SDK's `Histogram::record` with the same
//! attribute. The targets: at most 60 ns more than without metrics, and no
//! more than by hand.
//!
//! Every trace is sampled out, so that no export thread shares the two
//! cores with the measured one: what differs between the two traced cases
//! is the metrics alone. (The instruction counts have the recording case.)

mod common;

use std::time::Instant;

use common::{DiscardMetrics, body, call, plain, traced};
use criterion::Criterion;
use otel_runtime::opentelemetry::{KeyValue, global};
use otel_runtime::opentelemetry_sdk::trace::Sampler;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let _guard = otel_runtime::builder()
        .span_exporter(common::DiscardExporter)
        .metric_exporter(DiscardMetrics)
        .sampler(Sampler::AlwaysOff)
        .init()
        .expect("the only init of this binary");
    let by_hand = global::meter("bench")
        .f64_histogram("by_hand.duration")
        .with_unit("s")
        .build();
    let function = [KeyValue::new(
        "code.function.name",
        "otel_bench::traced::work",
    )];

    let mut group = c.benchmark_group("function_metrics");
    group.bench_function("plain", |b| call(b, plain::work));
    group.bench_function("plain_timed_by_hand", |b| {
        call(b, |a, s| {
            let start = Instant::now();
            let result = body(a, s);
            by_hand.record(start.elapsed().as_secs_f64(), &function);
            result
        })
    });
    otel_runtime::function_metrics(false);
    group.bench_function("traced", |b| call(b, traced::work));
    otel_runtime::function_metrics(true);
    group.bench_function("traced_with_metrics", |b| call(b, traced::work));
    group.finish();

    // What the HTTP layer and middleware paid per request for their
    // instruments when they asked the global meter each time, against a
    // clone of instruments made once (`http/metrics.rs`).
    let mut group = c.benchmark_group("http_instruments");
    let scope = otel_runtime::opentelemetry::InstrumentationScope::builder("otel-runtime").build();
    let made = || {
        global::meter_with_scope(scope.clone())
            .f64_histogram("http.server.request.duration")
            .with_unit("s")
            .with_boundaries(vec![
                0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
            ])
            .build()
    };
    group.bench_function("made_per_request", |b| {
        b.iter(|| std::hint::black_box(made()))
    });
    let kept = made();
    group.bench_function("kept", |b| b.iter(|| std::hint::black_box(kept.clone())));
    group.finish();
    c.final_summary();
}
