//! The ratio sampler: keep a fraction of the traces, decided once per trace
//! so that a kept trace is kept whole.
//!
//! Run it with `cargo run --example sampling`, or choose the ratio:
//! `OTEL_TRACES_SAMPLER_ARG=0.1 cargo run --example sampling`.

use otel_runtime::opentelemetry::Context;
use otel_runtime::opentelemetry::trace::TraceContextExt;
use otel_runtime::opentelemetry_sdk::trace::Sampler;
use otel_runtime::traced;

#[traced]
fn handle(request: u32) -> bool {
    lookup(request);
    Context::current().span().is_recording()
}

#[traced]
fn lookup(request: u32) -> u32 {
    request * 2
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ratio: f64 = std::env::var("OTEL_TRACES_SAMPLER_ARG")
        .ok()
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(0.25);
    let _guard = otel_runtime::builder()
        .sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))))
        .no_exporter()
        .init()?;

    let requests = 1_000;
    let kept = (0..requests).filter(|&request| handle(request)).count();
    println!(
        "ratio {ratio}: kept {kept} of {requests} traces ({:.1}%)",
        100.0 * kept as f64 / f64::from(requests)
    );
    Ok(())
}
