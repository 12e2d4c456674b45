//! Nothing installed: no tracer provider, no `tracing` subscriber, no
//! fastrace reporter. The baseline, the floor of any span, and what each
//! library costs while switched off.

mod common;

use std::hint::black_box;

use common::{call, call_async, fastrace_fns, floor, instrument, plain, raw_sdk, traced};
use criterion::Criterion;
use otel_runtime::opentelemetry::global;
use otel_runtime::opentelemetry_sdk::trace::RandomIdGenerator;

fn main() {
    let mut c = Criterion::default().configure_from_args();

    let mut group = c.benchmark_group("baseline");
    group.bench_function("sync", |b| call(b, plain::work));
    group.bench_function("async", |b| call_async(b, plain::work_async));
    group.finish();

    // Two clock reads and two random IDs: what no recorded span can avoid.
    let ids = RandomIdGenerator::default();
    let mut group = c.benchmark_group("floor");
    group.bench_function("clock_and_ids", |b| b.iter(|| black_box(floor(&ids))));
    group.finish();

    let mut group = c.benchmark_group("disabled");
    group.bench_function("traced", |b| call(b, traced::work));
    let tracer = global::tracer("raw-sdk");
    group.bench_function("raw_sdk", |b| call(b, |a, s| raw_sdk::work(&tracer, a, s)));
    group.bench_function("instrument", |b| call(b, instrument::work));
    // No reporter and no root span: fastrace's `#[trace]` does nothing.
    group.bench_function("fastrace", |b| call(b, fastrace_fns::work));
    group.finish();

    let mut group = c.benchmark_group("disabled_async");
    group.bench_function("traced", |b| call_async(b, traced::work_async));
    group.bench_function("instrument", |b| call_async(b, instrument::work_async));
    group.finish();

    c.final_summary();
}
