//! The logger provider `init` sets up (the `tracing` feature): log records
//! to the exporters of `OTEL_LOGS_EXPORTER`, or where spans go when it is
//! unset. An exporter sits behind the SDK's batch log processor
//! (`OTEL_BLRP_*`) with a counted queue in front (`logs::CountedLogs`); the
//! console takes records as they come, into its trees.

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{
    BatchConfigBuilder, BatchLogProcessor, LogExporter, LogProcessor, LoggerProviderBuilder,
    SdkLoggerProvider,
};

use super::ExporterKind;
use super::env::EnvConfig;
use super::tls::Tls;
use crate::engine::Queue;
use crate::logs::{CountedLogExporter, CountedLogs};

/// A log exporter given to [`Builder::log_exporter`](super::Builder::log_exporter),
/// put behind a batch processor by [`with_exporter`].
pub(super) type InCode = Box<dyn FnOnce(&EnvConfig) -> Box<dyn LogProcessor> + Send>;

/// The provider for `kinds` and the exporters given in code; `None` when
/// there are none, and events then stay span events.
pub(super) fn provider(
    kinds: &[ExporterKind],
    in_code: Vec<InCode>,
    env: &EnvConfig,
    tls: &Tls,
    resource: Resource,
) -> Option<SdkLoggerProvider> {
    let mut builder = SdkLoggerProvider::builder().with_resource(resource);
    let mut any = false;
    let mut console = false;
    for &kind in kinds {
        let otlp = match kind {
            ExporterKind::Otlp => otlp(env, tls),
            ExporterKind::Console => None,
        };
        match otlp {
            Some(otlp) => builder = builder.with_log_processor(Boxed(otlp)),
            // Once, even when the OTLP exporter falls back to it.
            None if console => continue,
            None => {
                console = true;
                let added;
                (builder, added) = self::console(builder);
                if !added {
                    continue;
                }
            }
        }
        any = true;
    }
    for exporter in in_code {
        builder = builder.with_log_processor(Boxed(exporter(env)));
        any = true;
    }
    any.then(|| builder.build())
}

/// `exporter` behind the SDK's batch log processor, configured by
/// `OTEL_BLRP_*`, both counted.
pub(super) fn with_exporter(
    exporter: impl LogExporter + 'static,
    env: &EnvConfig,
) -> Box<dyn LogProcessor> {
    let logs = &env.logs;
    let queue = Queue::new(logs.max_queue_size);
    // The SDK's queue is as long as ours, which admits no more than it
    // holds: a record is never dropped there, uncounted.
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(logs.max_queue_size)
        .with_scheduled_delay(logs.schedule_delay)
        .with_max_export_batch_size(logs.max_export_batch_size)
        .build();
    let exporter = CountedLogExporter {
        inner: exporter,
        queue: queue.clone(),
    };
    let batch = BatchLogProcessor::builder(exporter)
        .with_batch_config(config)
        .build();
    Box::new(CountedLogs {
        inner: batch,
        queue,
    })
}

/// The OTLP log exporter's processor; `None` when OTLP cannot be set up
/// (said why: the console takes its place).
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn otlp(env: &EnvConfig, tls: &Tls) -> Option<Box<dyn LogProcessor>> {
    let logs = &env.logs.export;
    let endpoint = logs.otlp_endpoint.url()?;
    let settings = super::otlp::Settings {
        protocol: logs.otlp_protocol,
        endpoint,
        headers: &logs.otlp_headers,
        timeout: logs.otlp_timeout,
    };
    match super::otlp::build::<opentelemetry_otlp::LogExporter>(&settings, tls) {
        Ok(exporter) => Some(with_exporter(exporter, env)),
        Err(error) => {
            let instead = if cfg!(feature = "console") {
                "printing log records on standard output instead"
            } else {
                "log records are not exported"
            };
            eprintln!("otel_runtime: cannot set up the OTLP log exporter: {error}; {instead}");
            None
        }
    }
}

#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
fn otlp(_: &EnvConfig, _: &Tls) -> Option<Box<dyn LogProcessor>> {
    None
}

/// Log records on the console, in the trees of their traces; and whether
/// this build has a console.
#[cfg(feature = "console")]
fn console(builder: LoggerProviderBuilder) -> (LoggerProviderBuilder, bool) {
    let builder = builder.with_log_processor(crate::console::ConsoleLogs::stdout());
    (builder, true)
}

/// Without the `console` feature, no console: the span side says so.
#[cfg(not(feature = "console"))]
fn console(builder: LoggerProviderBuilder) -> (LoggerProviderBuilder, bool) {
    (builder, false)
}

/// A boxed processor, as the SDK's builder takes only sized ones.
#[derive(Debug)]
struct Boxed(Box<dyn LogProcessor>);

impl LogProcessor for Boxed {
    fn emit(
        &self,
        record: &mut opentelemetry_sdk::logs::SdkLogRecord,
        scope: &opentelemetry::InstrumentationScope,
    ) {
        self.0.emit(record, scope);
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}
