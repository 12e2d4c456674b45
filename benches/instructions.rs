//! Instructions per call, for `scripts/instructions.sh` to count under
//! callgrind: stable where the time per call is not (a shared, 2-core
//! machine). `instructions MODE N` makes N calls of `work` in one setting;
//! the script runs it for N and 2N and divides the difference, so start-up
//! costs cancel out. Finished spans go to a processor that drops them at
//! once, on the calling thread: a batch processor's thread would make the
//! count depend on how the threads were scheduled.

mod common;

use std::hint::black_box;

use std::time::Duration;

use common::{A, S, instrument, plain, raw_sdk, traced};
use otel_runtime::opentelemetry::Context;
use otel_runtime::opentelemetry::trace::TracerProvider as _;
use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
use otel_runtime::opentelemetry_sdk::trace::{
    Sampler, SdkTracerProvider, Span, SpanData, SpanProcessor,
};

/// Drops each finished span.
#[derive(Debug)]
struct Drop;

impl SpanProcessor for Drop {
    fn on_start(&self, _: &mut Span, _: &Context) {}
    fn on_end(&self, span: SpanData) {
        std::hint::black_box(span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn provider(sampler: Sampler) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_span_processor(Drop)
        .build()
}

/// `init` with the exporter that discards, as the criterion recording
/// cases set `#[traced]` up.
fn init_discarding() -> otel_runtime::Guard {
    otel_runtime::builder()
        .span_exporter(common::DiscardExporter)
        .init()
        .unwrap()
}

/// The SDK's batch processor over the same exporter, with the SDK's
/// default sampler, as the criterion recording cases set the raw SDK up.
fn batch_discarding() -> SdkTracerProvider {
    common::provider(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
}

/// The calls themselves: the script counts inside this function only
/// (`--toggle-collect`), as the program's start varies by more than a call.
#[inline(never)]
fn measured(calls: u64, work: &dyn Fn(u64, &str) -> u64) {
    for _ in 0..calls {
        black_box(work(black_box(A), black_box(S)));
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    // `cargo bench` runs every bench target, with its own arguments
    // (`--bench`, criterion's): this one only runs under the script.
    let (Some(mode), Some(calls)) = (args.next(), args.next()) else {
        return;
    };
    if mode.starts_with("--") {
        return;
    }
    let calls: u64 = calls.parse().expect("a number of calls");
    let repeat = |work: &dyn Fn(u64, &str) -> u64| measured(calls, work);
    let recording = || provider(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
    match mode.as_str() {
        "plain" => repeat(&plain::work),
        "traced_disabled" => repeat(&traced::work),
        "instrument_disabled" => repeat(&instrument::work),
        "traced_sampled_out" => {
            otel_runtime::set_tracer_provider(provider(Sampler::AlwaysOff));
            repeat(&traced::work);
        }
        // The same sampler, set up by `init`, which decides a root span
        // before the SDK builds it.
        "traced_sampled_out_init" => {
            let _guard = otel_runtime::builder()
                .no_exporter()
                .sampler(Sampler::AlwaysOff)
                .init()
                .unwrap();
            repeat(&traced::work);
        }
        "raw_sdk_sampled_out" => {
            let tracer = provider(Sampler::AlwaysOff).tracer("raw-sdk");
            repeat(&|a, s| raw_sdk::work(&tracer, a, s));
        }
        "traced_recording" => {
            otel_runtime::set_tracer_provider(recording());
            repeat(&traced::work);
        }
        "raw_sdk_recording" => {
            let tracer = recording().tracer("raw-sdk");
            repeat(&|a, s| raw_sdk::work(&tracer, a, s));
        }
        // The batch processor over an exporter that discards, as in the
        // criterion run: the count is the calling thread's share (the
        // script makes the queue large enough for every span).
        "traced_recording_init" => {
            let _guard = init_discarding();
            repeat(&traced::work);
        }
        // The same, each call's duration recorded too.
        "traced_metrics_init" => {
            let _guard = otel_runtime::builder()
                .span_exporter(common::DiscardExporter)
                .metric_exporter(common::DiscardMetrics)
                .init()
                .unwrap();
            repeat(&traced::work);
        }
        "traced_metrics_sampled_out_init" => {
            let _guard = otel_runtime::builder()
                .no_exporter()
                .metric_exporter(common::DiscardMetrics)
                .sampler(Sampler::AlwaysOff)
                .init()
                .unwrap();
            repeat(&traced::work);
        }
        "raw_sdk_recording_batch" => {
            let provider = batch_discarding();
            let tracer = provider.tracer("raw-sdk");
            repeat(&|a, s| raw_sdk::work(&tracer, a, s));
        }
        // Three spans deep, each level with both arguments, as the
        // criterion `recording_nested3` cases.
        "traced_nested3_init" => {
            let _guard = init_discarding();
            repeat(&traced::work_outer);
        }
        "raw_sdk_nested3_batch" => {
            let provider = batch_discarding();
            let tracer = provider.tracer("raw-sdk");
            repeat(&|a, s| raw_sdk::work_outer(&tracer, a, s));
        }
        "raw_sdk_same_span" => {
            let tracer = recording().tracer("raw-sdk");
            repeat(&|a, s| raw_sdk::work_same_span(&tracer, a, s));
        }
        // Under a caller that did not sample the trace, set up by `init`
        // (whose default sampler follows the parent) and by hand.
        "traced_unsampled_parent" => {
            let _guard = otel_runtime::builder().no_exporter().init().unwrap();
            let _parent = common::unsampled_remote_parent().attach();
            repeat(&traced::work);
        }
        "traced_metrics_unsampled_parent" => {
            let _guard = otel_runtime::builder()
                .no_exporter()
                .metric_exporter(common::DiscardMetrics)
                .init()
                .unwrap();
            let _parent = common::unsampled_remote_parent().attach();
            repeat(&traced::work);
        }
        "raw_sdk_unsampled_parent" => {
            let tracer = recording().tracer("raw-sdk");
            let _parent = common::unsampled_remote_parent().attach();
            repeat(&|a, s| raw_sdk::work(&tracer, a, s));
        }
        "tracing_otel_recording" => {
            common::install_tracing_opentelemetry(&recording());
            repeat(&instrument::work);
        }
        other => panic!("unknown mode {other}"),
    }
    // The batch settings' processors are shut down by now, each flushed:
    // how many spans the discarding exporter got says how many the full
    // queue dropped, which run natively is part of the time a run takes.
    let spans = match mode.contains("nested3") {
        true => 3 * calls,
        false => calls,
    };
    eprintln!(
        "exported {} of {spans} spans",
        common::EXPORTED.load(std::sync::atomic::Ordering::Relaxed)
    );
}
