//! A root span that the sampler (`AlwaysOff`) drops, set up by
//! `otel_runtime::init`: its spans are made directly (no SDK tracer), and a
//! dropped root is only the context that the span's children carry.

mod common;

use common::{call, traced};
use criterion::Criterion;
use otel_runtime::opentelemetry_sdk::trace::Sampler;

fn main() {
    let _guard = otel_runtime::builder()
        .no_exporter()
        .sampler(Sampler::AlwaysOff)
        .init()
        .expect("the only init of this binary");

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("sampled_out");
    group.bench_function("traced_init", |b| call(b, traced::work));
    group.finish();
    c.final_summary();
}
