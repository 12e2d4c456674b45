//! The meter provider `init` sets up: metrics to the exporters of
//! `OTEL_METRICS_EXPORTER`, or where spans go when it is unset, each read
//! every `OTEL_METRIC_EXPORT_INTERVAL` by the SDK's periodic reader and
//! counted (`engine::METRIC_EXPORTS`). Installed as the global meter
//! provider, so `opentelemetry::global::meter` gives the program's own
//! instruments.

use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{
    MeterProviderBuilder, PeriodicReader, SdkMeterProvider, Temporality,
};

use super::ExporterKind;
use super::env::EnvConfig;
use super::tls::Tls;
use crate::engine::{self, METRIC_EXPORTS};

/// A metrics exporter given to [`Builder::metric_exporter`](super::Builder::metric_exporter),
/// added to the provider being built.
pub(super) type InCode =
    Box<dyn FnOnce(MeterProviderBuilder, &EnvConfig) -> MeterProviderBuilder + Send>;

/// The provider for `kinds` and the exporters given in code; `None` when
/// there are none.
pub(super) fn provider(
    kinds: &[ExporterKind],
    in_code: Vec<InCode>,
    env: &EnvConfig,
    tls: &Tls,
    resource: Resource,
) -> Option<SdkMeterProvider> {
    let mut builder = SdkMeterProvider::builder().with_resource(resource);
    let mut any = false;
    for &kind in kinds {
        match kind {
            ExporterKind::Otlp => {
                if let Some(exporter) = otlp(env, tls) {
                    builder = exporter(builder, env);
                    any = true;
                }
            }
            // The last reading as a table when the guard drops.
            #[cfg(feature = "console")]
            ExporterKind::Console => {
                let console = crate::console::ConsoleMetrics::stdout();
                builder = with_exporter(builder, console, env);
                any = true;
            }
            #[cfg(not(feature = "console"))]
            ExporterKind::Console => {}
        }
    }
    for exporter in in_code {
        builder = exporter(builder, env);
        any = true;
    }
    any.then(|| builder.build())
}

/// `exporter` behind the SDK's periodic reader, every
/// `OTEL_METRIC_EXPORT_INTERVAL`, its exports counted.
pub(super) fn with_exporter(
    builder: MeterProviderBuilder,
    exporter: impl PushMetricExporter,
    env: &EnvConfig,
) -> MeterProviderBuilder {
    let reader = PeriodicReader::builder(Counted(exporter))
        .with_interval(env.metrics.interval)
        .build();
    builder.with_reader(reader)
}

/// The OTLP metrics exporter, added to a provider; `None` when OTLP cannot
/// be set up (said why).
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
fn otlp(env: &EnvConfig, tls: &Tls) -> Option<InCode> {
    let metrics = &env.metrics.export;
    let endpoint = metrics.otlp_endpoint.url()?;
    let settings = super::otlp::Settings {
        protocol: metrics.otlp_protocol,
        endpoint,
        headers: &metrics.otlp_headers,
        timeout: metrics.otlp_timeout,
    };
    match super::otlp::build::<opentelemetry_otlp::MetricExporter>(&settings, tls) {
        Ok(exporter) => Some(Box::new(move |builder, env| {
            with_exporter(builder, exporter.within(env.metrics.export_timeout), env)
        })),
        Err(error) => {
            eprintln!("otel_runtime: cannot set up the OTLP metrics exporter: {error}");
            None
        }
    }
}

#[cfg(not(any(feature = "otlp-grpc", feature = "otlp-http")))]
fn otlp(_: &EnvConfig, _: &Tls) -> Option<InCode> {
    None
}

/// A metrics exporter whose exports are counted, and whose panics become
/// failed exports (a panic would end the periodic reader's thread).
struct Counted<E>(E);

impl<E: PushMetricExporter> PushMetricExporter for Counted<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = engine::unpanicked(self.0.export(metrics)).await;
        METRIC_EXPORTS.sent(1, &result);
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.0.temporality()
    }
}
