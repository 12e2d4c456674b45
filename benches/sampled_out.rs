//! A provider whose sampler (`AlwaysOff`) drops every span, for `#[traced]`,
//! the raw SDK and `tracing-opentelemetry` alike.

mod common;

use common::{A, S, call, instrument, provider, raw_sdk, traced};
use criterion::Criterion;
use otel_runtime::opentelemetry::global;
use otel_runtime::opentelemetry::trace::TracerProvider as _;
use otel_runtime::opentelemetry_sdk::trace::Sampler;

fn main() {
    let provider = provider(Sampler::AlwaysOff);
    global::set_tracer_provider(provider.clone());
    common::install_tracing_opentelemetry(&provider);
    let tracer = provider.tracer("raw-sdk");
    let seen = common::capture(&provider, || {
        traced::work(A, S);
        raw_sdk::work(&tracer, A, S);
        instrument::work(A, S);
    });
    assert_eq!(
        seen,
        Vec::<String>::new(),
        "spans exported despite AlwaysOff"
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("sampled_out");
    group.bench_function("traced", |b| call(b, traced::work));
    group.bench_function("raw_sdk", |b| call(b, |a, s| raw_sdk::work(&tracer, a, s)));
    group.bench_function("tracing_otel", |b| call(b, instrument::work));
    group.finish();
    c.final_summary();
}
