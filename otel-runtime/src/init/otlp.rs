//! The OTLP exporters of `opentelemetry-otlp`, made safe to build and run
//! from any program: with or without an async runtime of its own.
//!
//! The gRPC exporter (tonic) needs a Tokio runtime, which a plain `main`
//! does not have ("no reactor running"), so it runs on a runtime of this
//! crate's, on its own thread. The HTTP exporter uses a blocking client,
//! which must not be built inside an async context. Both are therefore
//! built on a thread of their own.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry_otlp::{
    Protocol as WireProtocol, WithExportConfig as _, WithHttpConfig as _, WithTonicConfig as _,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::tls::Tls;

/// `OTEL_EXPORTER_OTLP_PROTOCOL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `grpc`.
    Grpc,
    /// `http/protobuf`, the specification's default.
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
}

/// An OTLP exporter, over HTTP directly or over gRPC on this crate's runtime.
#[derive(Debug)]
pub(crate) enum OtlpExporter {
    Http(Box<opentelemetry_otlp::SpanExporter>),
    Grpc(Arc<opentelemetry_otlp::SpanExporter>),
}

/// Builds the exporter; the endpoint, headers, timeout and compression come
/// from the `OTEL_EXPORTER_OTLP_*` variables, read by `opentelemetry-otlp`,
/// the certificates from `tls`. `timeout` is the HTTP client's, which we
/// build (gRPC reads its own).
pub(crate) fn build(
    protocol: OtlpProtocol,
    tls: &Tls,
    timeout: Duration,
) -> Result<OtlpExporter, String> {
    let built = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let builder = opentelemetry_otlp::SpanExporter::builder();
                let http = |wire| -> Result<OtlpExporter, String> {
                    let exporter = builder
                        .clone()
                        .with_http()
                        .with_protocol(wire)
                        .with_http_client(tls.http_client(timeout)?)
                        .build()
                        .map_err(|error| error.to_string())?;
                    Ok(OtlpExporter::Http(Box::new(exporter)))
                };
                match protocol {
                    OtlpProtocol::Grpc => {
                        let _runtime = runtime().enter();
                        builder
                            .clone()
                            .with_tonic()
                            .with_tls_config(tls.grpc())
                            .build()
                            .map(|e| OtlpExporter::Grpc(Arc::new(e)))
                            .map_err(|error| error.to_string())
                    }
                    OtlpProtocol::HttpProtobuf => http(WireProtocol::HttpBinary),
                    OtlpProtocol::HttpJson => http(WireProtocol::HttpJson),
                }
            })
            .join()
    });
    built.unwrap_or_else(|_| Err("building the OTLP exporter panicked".to_owned()))
}

/// The runtime the gRPC exporter runs on: one worker thread, for the life
/// of the process (a runtime must not be dropped inside async code).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otel-runtime-export")
            .enable_all()
            .build()
            .expect("a Tokio runtime for the OTLP gRPC exporter")
    })
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            OtlpExporter::Http(exporter) => exporter.export(batch).await,
            OtlpExporter::Grpc(exporter) => {
                let exporter = Arc::clone(exporter);
                runtime()
                    .spawn(async move { exporter.export(batch).await })
                    .await
                    .unwrap_or_else(|error| Err(OTelSdkError::InternalFailure(error.to_string())))
            }
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            OtlpExporter::Http(exporter) => exporter.shutdown_with_timeout(timeout),
            OtlpExporter::Grpc(exporter) => {
                let _runtime = runtime().enter();
                exporter.shutdown_with_timeout(timeout)
            }
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            OtlpExporter::Http(exporter) => exporter.set_resource(resource),
            // Set once, before the first export, while this is the only
            // reference.
            OtlpExporter::Grpc(exporter) => {
                if let Some(exporter) = Arc::get_mut(exporter) {
                    exporter.set_resource(resource);
                }
            }
        }
    }
}
