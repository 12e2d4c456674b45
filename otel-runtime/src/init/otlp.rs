//! The OTLP exporters of `opentelemetry-otlp`, made safe to build and run
//! from any program: with or without an async runtime of its own.
//!
//! Both transports need a Tokio runtime (tonic for gRPC, hyper for HTTP),
//! which a plain `main` does not have ("no reactor running"), and a
//! program's own runtime may be a current-thread one that is blocked while
//! the guard flushes. So exports run on a runtime of this crate's, on its
//! own thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::future::{Either, select};
#[cfg(feature = "otlp-http")]
use opentelemetry_otlp::Protocol as WireProtocol;
#[cfg(feature = "otlp-http")]
use opentelemetry_otlp::WithHttpConfig;
#[cfg(feature = "otlp-grpc")]
use opentelemetry_otlp::WithTonicConfig as _;
#[cfg(feature = "otlp-grpc")]
use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::{ExporterBuildError, RetryPolicy, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
#[cfg(feature = "tracing")]
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::env::OtlpProtocol;
use super::tls::Tls;
use crate::engine;

/// An OTLP exporter (of spans or of log records) whose exports run on
/// this crate's runtime.
///
/// Two exporters to the same collector, told apart by their retries:
/// while the program runs, a failed export is retried until the export
/// timeout, so that a collector that restarts within it loses nothing;
/// once the guard shuts tracing down, each last export is tried once, so
/// that a program whose collector is gone exits at once. (An export that
/// is still retrying when shutdown begins is given [`GRACE_AT_SHUTDOWN`]
/// more.)
#[derive(Debug)]
pub(crate) struct OtlpExporter<E> {
    running: Arc<E>,
    at_shutdown: Arc<E>,
}

/// Set when the guard starts shutting tracing down, for good.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);

/// The guard is shutting tracing down: the exports from now on are the
/// last ones.
pub(crate) fn shutting_down() {
    SHUTTING_DOWN.store(true, Ordering::Release);
}

/// Whether the exports from now on are the last ones.
pub(super) fn is_shutting_down() -> bool {
    SHUTTING_DOWN.load(Ordering::Acquire)
}

/// What the exporter is built with, resolved from the `OTEL_EXPORTER_OTLP_*`
/// variables by `env`, and handed to `opentelemetry-otlp` in code, which
/// takes precedence over its own reading of them: a blank `…_TRACES_…`
/// variable then no longer hides the general one, and a bad value is
/// reported by us, without echoing headers or passwords.
pub(crate) struct Settings<'a> {
    pub protocol: OtlpProtocol,
    pub endpoint: &'a str,
    pub headers: &'a [(String, String)],
    /// How long one export may take.
    pub timeout: Duration,
}

/// Builds the exporter; compression comes from the
/// `OTEL_EXPORTER_OTLP_*COMPRESSION` variables, read by `opentelemetry-otlp`,
/// the certificates from `tls`.
pub(crate) fn build<E: Signal>(
    settings: &Settings<'_>,
    tls: &Tls,
) -> Result<OtlpExporter<E>, String> {
    let retrying = RetryPolicy::default()
        .with_max_retries(usize::MAX)
        .with_initial_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2));
    Ok(OtlpExporter {
        running: Arc::new(build_one(settings, tls, retrying)?),
        at_shutdown: Arc::new(build_one(settings, tls, RetryPolicy::disabled())?),
    })
}

/// The exporter of one signal in `opentelemetry-otlp`: its builders for
/// each transport, which take the same settings.
pub(crate) trait Signal: Sized + Send + Sync + 'static {
    #[cfg(feature = "otlp-grpc")]
    type Grpc: opentelemetry_otlp::WithTonicConfig + WithExportConfig;
    #[cfg(feature = "otlp-http")]
    type Http: WithHttpConfig + WithExportConfig;
    #[cfg(feature = "otlp-grpc")]
    fn grpc() -> Self::Grpc;
    #[cfg(feature = "otlp-grpc")]
    fn build_grpc(builder: Self::Grpc) -> Result<Self, ExporterBuildError>;
    #[cfg(feature = "otlp-http")]
    fn http() -> Self::Http;
    #[cfg(feature = "otlp-http")]
    fn build_http(builder: Self::Http) -> Result<Self, ExporterBuildError>;
}

/// Implements [`Signal`] for `opentelemetry-otlp`'s exporter `$exporter`,
/// whose builder is `$builder`.
macro_rules! signal {
    ($exporter:ident, $builder:ident) => {
        impl Signal for opentelemetry_otlp::$exporter {
            #[cfg(feature = "otlp-grpc")]
            type Grpc = opentelemetry_otlp::$builder<opentelemetry_otlp::TonicExporterBuilderSet>;
            #[cfg(feature = "otlp-http")]
            type Http = opentelemetry_otlp::$builder<opentelemetry_otlp::HttpExporterBuilderSet>;
            #[cfg(feature = "otlp-grpc")]
            fn grpc() -> Self::Grpc {
                Self::builder().with_tonic()
            }
            #[cfg(feature = "otlp-grpc")]
            fn build_grpc(builder: Self::Grpc) -> Result<Self, ExporterBuildError> {
                builder.build()
            }
            #[cfg(feature = "otlp-http")]
            fn http() -> Self::Http {
                Self::builder().with_http()
            }
            #[cfg(feature = "otlp-http")]
            fn build_http(builder: Self::Http) -> Result<Self, ExporterBuildError> {
                builder.build()
            }
        }
    };
}

signal!(SpanExporter, SpanExporterBuilder);
signal!(MetricExporter, MetricExporterBuilder);
#[cfg(feature = "tracing")]
signal!(LogExporter, LogExporterBuilder);

// Without TLS, gRPC has no certificates to take.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn build_one<E: Signal>(
    settings: &Settings<'_>,
    tls: &Tls,
    retries: RetryPolicy,
) -> Result<E, String> {
    if !cfg!(feature = "tls") && settings.endpoint.starts_with("https:") {
        return Err(format!(
            "the endpoint {} needs TLS, and otel-runtime was built without its `tls` feature",
            settings.endpoint
        ));
    }
    let _runtime = runtime().enter();
    let exporter = match settings.protocol {
        #[cfg(feature = "otlp-grpc")]
        OtlpProtocol::Grpc => {
            let mut metadata = http::HeaderMap::new();
            for (name, value) in settings.headers {
                // Checked by `env`; a header that still fails is left out,
                // as `opentelemetry-otlp` does.
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    http::HeaderValue::from_str(value),
                ) {
                    metadata.insert(name, value);
                }
            }
            let builder = E::grpc()
                .with_endpoint(settings.endpoint)
                .with_timeout(settings.timeout)
                .with_metadata(MetadataMap::from_headers(metadata))
                .with_retry_policy(retries);
            #[cfg(feature = "tls")]
            let builder = builder.with_tls_config(tls.grpc());
            E::build_grpc(builder)
        }
        #[cfg(feature = "otlp-http")]
        OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => {
            let wire = match settings.protocol {
                #[cfg(feature = "otlp-json")]
                OtlpProtocol::HttpJson => WireProtocol::HttpJson,
                _ => WireProtocol::HttpBinary,
            };
            let builder = E::http()
                .with_protocol(wire)
                .with_endpoint(settings.endpoint)
                .with_timeout(settings.timeout)
                .with_headers(settings.headers.iter().cloned().collect())
                .with_http_client(tls.http_client(settings.timeout)?)
                .with_retry_policy(retries);
            E::build_http(builder)
        }
        #[allow(unreachable_patterns)]
        protocol => return Err(missing_transport(protocol)),
    };
    exporter.map_err(|error| error.to_string())
}

/// Why `protocol` cannot be used: its transport is not compiled in.
fn missing_transport(protocol: OtlpProtocol) -> String {
    let feature = match protocol {
        OtlpProtocol::Grpc => "otlp-grpc",
        OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => "otlp-http",
    };
    format!(
        "OTLP over {} needs otel-runtime's `{feature}` feature, which this build lacks \
         (OTEL_EXPORTER_OTLP_PROTOCOL chooses another)",
        protocol.name()
    )
}

/// The runtime the exporters run on: one worker thread, for the life
/// of the process (a runtime must not be dropped inside async code).
pub(super) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otel-runtime-export")
            .on_thread_start(engine::machinery_thread)
            .enable_all()
            .build()
            .expect("a Tokio runtime for the OTLP gRPC exporter")
    })
}

/// How long an export that began before shutdown may still take after it
/// began (it may be retrying against a collector that is gone).
const GRACE_AT_SHUTDOWN: Duration = Duration::from_secs(1);

/// Ends [`GRACE_AT_SHUTDOWN`] after the guard began shutting down.
async fn grace_over() {
    while !SHUTTING_DOWN.load(Ordering::Acquire) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(GRACE_AT_SHUTDOWN).await;
}

impl<E> OtlpExporter<E> {
    /// The copy for this export, and whether it is one of the last.
    fn pick(&self) -> (Arc<E>, bool) {
        let last = is_shutting_down();
        let exporter = if last {
            &self.at_shutdown
        } else {
            &self.running
        };
        (Arc::clone(exporter), last)
    }

    /// Sets the resource on both copies: once, before the first export,
    /// while these are the only references.
    fn set_resource_with(&mut self, set: impl Fn(&mut E)) {
        for exporter in [&mut self.running, &mut self.at_shutdown] {
            if let Some(exporter) = Arc::get_mut(exporter) {
                set(exporter);
            }
        }
    }

    /// Shuts both copies down.
    fn shutdown_with(&self, shutdown: impl Fn(&E) -> OTelSdkResult) -> OTelSdkResult {
        let _runtime = runtime().enter();
        let running = shutdown(&self.running);
        shutdown(&self.at_shutdown).and(running)
    }
}

/// Runs `export` on this crate's runtime; one that began before shutdown
/// is given up [`GRACE_AT_SHUTDOWN`] after shutdown began.
pub(super) async fn on_runtime(
    last: bool,
    export: impl Future<Output = OTelSdkResult> + Send + 'static,
) -> OTelSdkResult {
    joined(spawn_export(last, export).await)
}

/// Starts `export` on this crate's runtime, as [`on_runtime`] runs it.
pub(super) fn spawn_export(
    last: bool,
    export: impl Future<Output = OTelSdkResult> + Send + 'static,
) -> tokio::task::JoinHandle<OTelSdkResult> {
    runtime().spawn(async move {
        let export = std::pin::pin!(export);
        if last {
            return export.await;
        }
        match select(export, std::pin::pin!(grace_over())).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(OTelSdkError::InternalFailure(format!(
                "given up at shutdown: the collector had not taken this batch \
                 {GRACE_AT_SHUTDOWN:?} after shutdown began"
            ))),
        }
    })
}

/// The result of a spawned export: a panic in it a failed export.
pub(super) fn joined(result: Result<OTelSdkResult, tokio::task::JoinError>) -> OTelSdkResult {
    result.unwrap_or_else(|error| Err(OTelSdkError::InternalFailure(error.to_string())))
}

impl SpanExporter for OtlpExporter<opentelemetry_otlp::SpanExporter> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let (exporter, last) = self.pick();
        on_runtime(last, async move { exporter.export(batch).await }).await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown_with(|exporter| exporter.shutdown_with_timeout(timeout))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.set_resource_with(|exporter| exporter.set_resource(resource));
    }
}

#[cfg(feature = "tracing")]
impl LogExporter for OtlpExporter<opentelemetry_otlp::LogExporter> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let (exporter, last) = self.pick();
        // The batch borrows the processor's buffer; the runtime's task
        // needs its own copy.
        let records: Vec<_> = batch
            .iter()
            .map(|(record, scope)| (record.clone(), scope.clone()))
            .collect();
        on_runtime(last, async move {
            let borrowed: Vec<_> = records
                .iter()
                .map(|(record, scope)| (record, scope))
                .collect();
            exporter.export(LogBatch::new(&borrowed)).await
        })
        .await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.shutdown_with(|exporter| exporter.shutdown_with_timeout(timeout))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.set_resource_with(|exporter| exporter.set_resource(resource));
    }
}

/// The OTLP metrics exporter, each export bounded by
/// `OTEL_METRIC_EXPORT_TIMEOUT`.
#[derive(Debug)]
pub(crate) struct OtlpMetrics {
    inner: OtlpExporter<opentelemetry_otlp::MetricExporter>,
    timeout: Duration,
}

impl OtlpExporter<opentelemetry_otlp::MetricExporter> {
    /// Bounds each export by `timeout`.
    pub(crate) fn within(self, timeout: Duration) -> OtlpMetrics {
        OtlpMetrics {
            inner: self,
            timeout,
        }
    }
}

pin_project_lite::pin_project! {
    /// A future polled with this crate's runtime entered: the periodic
    /// reader polls exports on a thread of its own, and the transports
    /// need the runtime's reactor and timers.
    struct OnRuntime<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for OnRuntime<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        task: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let _runtime = runtime().enter();
        self.project().future.poll(task)
    }
}

impl PushMetricExporter for OtlpMetrics {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let (exporter, _) = self.inner.pick();
        let timeout = self.timeout;
        let export = OnRuntime {
            future: async move { tokio::time::timeout(timeout, exporter.export(metrics)).await },
        };
        export.await.unwrap_or(Err(OTelSdkError::Timeout(timeout)))
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner
            .shutdown_with(|exporter| exporter.shutdown_with_timeout(timeout))
    }

    fn temporality(&self) -> Temporality {
        self.inner.running.temporality()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_transport_names_its_feature_and_the_variable() {
        let grpc = missing_transport(OtlpProtocol::Grpc);
        assert!(
            grpc.contains("OTLP over grpc") && grpc.contains("`otlp-grpc`"),
            "{grpc}"
        );
        let json = missing_transport(OtlpProtocol::HttpJson);
        assert!(
            json.contains("http/json") && json.contains("`otlp-http`"),
            "{json}"
        );
        assert!(json.contains("OTEL_EXPORTER_OTLP_PROTOCOL"), "{json}");
    }
}
