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
#[cfg(feature = "otlp-grpc")]
use opentelemetry_otlp::WithTonicConfig as _;
#[cfg(feature = "otlp-grpc")]
use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
#[cfg(feature = "otlp-http")]
use opentelemetry_otlp::{Protocol as WireProtocol, WithHttpConfig as _};
use opentelemetry_otlp::{RetryPolicy, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::env::OtlpProtocol;
use super::tls::Tls;
use crate::engine;

/// An OTLP exporter whose exports run on this crate's runtime.
///
/// Two exporters to the same collector, told apart by their retries:
/// while the program runs, a failed export is retried until the export
/// timeout, so that a collector that restarts within it loses nothing;
/// once the guard shuts tracing down, each last export is tried once, so
/// that a program whose collector is gone exits at once. (An export that
/// is still retrying when shutdown begins is given [`GRACE_AT_SHUTDOWN`]
/// more.)
#[derive(Debug)]
pub(crate) struct OtlpExporter {
    running: Arc<opentelemetry_otlp::SpanExporter>,
    at_shutdown: Arc<opentelemetry_otlp::SpanExporter>,
}

/// Set when the guard starts shutting tracing down, for good.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);

/// The guard is shutting tracing down: the exports from now on are the
/// last ones.
pub(crate) fn shutting_down() {
    SHUTTING_DOWN.store(true, Ordering::Release);
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
pub(crate) fn build(settings: &Settings<'_>, tls: &Tls) -> Result<OtlpExporter, String> {
    let retrying = RetryPolicy::default()
        .with_max_retries(usize::MAX)
        .with_initial_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2));
    Ok(OtlpExporter {
        running: Arc::new(build_one(settings, tls, retrying)?),
        at_shutdown: Arc::new(build_one(settings, tls, RetryPolicy::disabled())?),
    })
}

// Without TLS, gRPC has no certificates to take.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn build_one(
    settings: &Settings<'_>,
    tls: &Tls,
    retries: RetryPolicy,
) -> Result<opentelemetry_otlp::SpanExporter, String> {
    if !cfg!(feature = "tls") && settings.endpoint.starts_with("https:") {
        return Err(format!(
            "the endpoint {} needs TLS, and otel-runtime was built without its `tls` feature",
            settings.endpoint
        ));
    }
    let _runtime = runtime().enter();
    let builder = opentelemetry_otlp::SpanExporter::builder();
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
            let builder = builder
                .with_tonic()
                .with_endpoint(settings.endpoint)
                .with_timeout(settings.timeout)
                .with_metadata(MetadataMap::from_headers(metadata))
                .with_retry_policy(retries);
            #[cfg(feature = "tls")]
            let builder = builder.with_tls_config(tls.grpc());
            builder.build()
        }
        #[cfg(feature = "otlp-http")]
        OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => {
            let wire = match settings.protocol {
                #[cfg(feature = "otlp-json")]
                OtlpProtocol::HttpJson => WireProtocol::HttpJson,
                _ => WireProtocol::HttpBinary,
            };
            builder
                .with_http()
                .with_protocol(wire)
                .with_endpoint(settings.endpoint)
                .with_timeout(settings.timeout)
                .with_headers(settings.headers.iter().cloned().collect())
                .with_http_client(tls.http_client(settings.timeout)?)
                .with_retry_policy(retries)
                .build()
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
fn runtime() -> &'static tokio::runtime::Runtime {
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

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let last = SHUTTING_DOWN.load(Ordering::Acquire);
        let exporter = Arc::clone(if last {
            &self.at_shutdown
        } else {
            &self.running
        });
        runtime()
            .spawn(async move {
                let export = std::pin::pin!(exporter.export(batch));
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
            .await
            .unwrap_or_else(|error| Err(OTelSdkError::InternalFailure(error.to_string())))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let _runtime = runtime().enter();
        let running = self.running.shutdown_with_timeout(timeout);
        self.at_shutdown.shutdown_with_timeout(timeout).and(running)
    }

    fn set_resource(&mut self, resource: &Resource) {
        // Set once, before the first export, while these are the only
        // references.
        for exporter in [&mut self.running, &mut self.at_shutdown] {
            if let Some(exporter) = Arc::get_mut(exporter) {
                exporter.set_resource(resource);
            }
        }
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
