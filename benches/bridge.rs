//! The `tracing` bridge (otel-runtime's `tracing` feature), in one run:
//!
//! - `bridge_spans`: a `#[instrument]` call through the bridge's layer
//!   against the same call through `tracing-opentelemetry` alone, both over
//!   one SDK provider (batch processor, discarding exporter), each under a
//!   scoped subscriber (which slows both alike);
//! - `bridge_traced`: a `#[traced]` call set up by `init`, before and after
//!   the bridge's subscriber is installed as the global one, as `init` does.
//!   The bridge must not slow a `#[traced]` call outside any `tracing`
//!   span.

mod common;

use common::{call, instrument, provider, traced};
use criterion::Criterion;
use otel_runtime::opentelemetry::trace::TracerProvider as _;
use otel_runtime::opentelemetry_sdk::trace::Sampler;
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt as _;

fn main() {
    let mut c = Criterion::default().configure_from_args();

    let provider = provider(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
    otel_runtime::set_tracer_provider(provider.clone());
    let bridge = Dispatch::new(tracing_subscriber::registry().with(otel_runtime::tracing_layer()));
    let alone = Dispatch::new(tracing_subscriber::registry().with(
        tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing-opentelemetry")),
    ));
    let mut group = c.benchmark_group("bridge_spans");
    group.bench_function("instrument_bridge", |b| {
        tracing::dispatcher::with_default(&bridge, || call(b, instrument::work));
    });
    group.bench_function("instrument_tracing_otel", |b| {
        tracing::dispatcher::with_default(&alone, || call(b, instrument::work));
    });
    group.finish();

    // `init` installs its own provider over the one above.
    let _guard = otel_runtime::builder()
        .span_exporter(common::DiscardExporter)
        .tracing_subscriber(false)
        .init()
        .expect("the only init of this binary");
    let mut group = c.benchmark_group("bridge_traced");
    group.bench_function("traced", |b| call(b, traced::work));
    tracing::dispatcher::set_global_default(bridge).expect("no other global subscriber");
    group.bench_function("traced_bridge_installed", |b| call(b, traced::work));
    group.finish();
    c.final_summary();
}
