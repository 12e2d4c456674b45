//! `init`'s OTLP span exporter over gRPC and HTTP/protobuf: each batch
//! encoded straight from the batch processor's spans into one request
//! (`spans`), compressed once, and sent with retries (`retry`) by tonic
//! (`grpc`) or hyper (`http`) on the exporters' runtime. The export thread
//! does not wait for the collector's answer: it encodes the next batch
//! while up to `OTEL_BSP_MAX_CONCURRENT_EXPORTS` requests are in flight,
//! and counts each as it finishes.
//!
//! Hand-written where `opentelemetry-otlp` exists because its exporter
//! takes `SpanData` and builds the protobuf structures from it, which is
//! most of what exporting costs (BENCHMARKS.md, "What exporting a span
//! costs"; ARCHITECTURE.md says why). Spans over HTTP/JSON, log records
//! and metrics still go through `opentelemetry-otlp`, as does any exporter
//! given in code (`Builder::span_exporter`), which still gets `SpanData`.

#[cfg(feature = "otlp-grpc")]
mod grpc;
#[cfg(feature = "otlp-http")]
mod http;
mod protobuf;
mod retry;
mod spans;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use ::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};

use super::env::OtlpProtocol;
use super::otlp::{self, Settings};
use super::tls::Tls;
use tokio::task::JoinHandle;

use crate::engine::{self, Export, ExportItem, Outcome};
use retry::{Failure, Policy};
use spans::Encoder;

/// How this exporter names itself to the collector.
const USER_AGENT: &str = concat!(
    "OTel-OTLP-Exporter-Rust otel-runtime/",
    env!("CARGO_PKG_VERSION")
);

/// Where and how requests go, resolved from the settings.
struct Target<'a> {
    endpoint: &'a str,
    headers: HeaderMap,
    timeout: Duration,
    gzip: bool,
}

/// The spans' exporter; see the module docs.
#[derive(Debug)]
pub(crate) struct OtlpSpans {
    encoder: Encoder,
    transport: Arc<Transport>,
    timeout: Duration,
    /// The requests being sent, oldest first, with their spans' count.
    in_flight: VecDeque<(usize, JoinHandle<OTelSdkResult>)>,
    /// `OTEL_BSP_MAX_CONCURRENT_EXPORTS`.
    max_in_flight: usize,
}

// One per exporter, behind an `Arc`: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Transport {
    #[cfg(feature = "otlp-grpc")]
    Grpc(grpc::Grpc),
    #[cfg(feature = "otlp-http")]
    Http(http::Http),
}

impl OtlpSpans {
    /// The exporter for `settings`, with at most `max_in_flight` requests
    /// sent at once; `None` for a protocol it does not speak (HTTP/JSON),
    /// which `opentelemetry-otlp` takes.
    pub(crate) fn build(
        settings: &Settings<'_>,
        tls: &Tls,
        max_in_flight: usize,
    ) -> Option<Result<OtlpSpans, String>> {
        let target = Target {
            endpoint: settings.endpoint,
            headers: headers(settings.headers),
            timeout: settings.timeout,
            gzip: gzip(),
        };
        let _runtime = otlp::runtime().enter();
        let transport = match settings.protocol {
            #[cfg(feature = "otlp-grpc")]
            OtlpProtocol::Grpc => grpc::Grpc::new(&target, tls).map(Transport::Grpc),
            #[cfg(feature = "otlp-http")]
            OtlpProtocol::HttpProtobuf => http::Http::new(&target, tls).map(Transport::Http),
            _ => return None,
        };
        Some(transport.map(|transport| OtlpSpans {
            encoder: Encoder::default(),
            transport: Arc::new(transport),
            timeout: settings.timeout,
            in_flight: VecDeque::new(),
            max_in_flight: max_in_flight.max(1),
        }))
    }
}

/// The headers of `OTEL_EXPORTER_OTLP_*HEADERS`, checked by `env`; one that
/// still fails is left out, as `opentelemetry-otlp` does.
fn headers(pairs: &[(String, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Whether `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, else
/// `OTEL_EXPORTER_OTLP_COMPRESSION`, asks for gzip: the first usable one
/// decides, as `opentelemetry-otlp` reads them (`env` reports the others).
fn gzip() -> bool {
    [
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ]
    .iter()
    .filter_map(|name| std::env::var(name).ok())
    .find_map(|value| match value.trim().to_ascii_lowercase().as_str() {
        "gzip" => Some(true),
        "none" => Some(false),
        _ => None,
    })
    .unwrap_or(false)
}

impl Transport {
    async fn send(&self, body: Bytes) -> Result<(), Failure> {
        match self {
            #[cfg(feature = "otlp-grpc")]
            Transport::Grpc(grpc) => grpc.send(body).await,
            #[cfg(feature = "otlp-http")]
            Transport::Http(http) => http.send(body).await,
        }
    }

    /// The request's body as sent: over HTTP, compressed here when asked
    /// (tonic compresses its own).
    fn body(&self, encoded: &[u8]) -> Result<Bytes, String> {
        match self {
            #[cfg(feature = "otlp-http")]
            Transport::Http(http) if http.gzip() => {
                use std::io::Write as _;
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder
                    .write_all(encoded)
                    .and_then(|()| encoder.finish())
                    .map(Bytes::from)
                    .map_err(|error| format!("gzip: {error}"))
            }
            _ => Ok(Bytes::copy_from_slice(encoded)),
        }
    }
}

impl Export for OtlpSpans {
    /// Encodes `batch` and starts sending it; returns once fewer than
    /// `OTEL_BSP_MAX_CONCURRENT_EXPORTS` requests are in flight, so that the
    /// next batch is encoded while the collector takes this one.
    fn export(&mut self, batch: &mut Vec<ExportItem>, done: &mut Vec<Outcome>) {
        let spans = batch.len();
        let encoded = self.encoder.encode(batch, engine::value_length());
        let body = match self.transport.body(encoded) {
            Ok(body) => body,
            Err(error) => return done.push((spans, Err(OTelSdkError::InternalFailure(error)))),
        };
        self.take_finished(done);
        while self.in_flight.len() >= self.max_in_flight {
            self.wait_oldest(done);
        }
        let last = otlp::is_shutting_down();
        let policy = if last { Policy::ONCE } else { Policy::RUNNING };
        let (transport, timeout) = (Arc::clone(&self.transport), self.timeout);
        let sending = otlp::spawn_export(last, async move {
            retry::retrying(policy, timeout, || transport.send(body.clone()))
                .await
                .map_err(OTelSdkError::InternalFailure)
        });
        self.in_flight.push_back((spans, sending));
    }

    fn flush(&mut self, done: &mut Vec<Outcome>) {
        while !self.in_flight.is_empty() {
            self.wait_oldest(done);
        }
    }

    fn in_flight(&self) -> bool {
        !self.in_flight.is_empty()
    }

    fn reap(&mut self, done: &mut Vec<Outcome>) {
        self.take_finished(done);
    }

    fn shutdown(&mut self) -> OTelSdkResult {
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.encoder.set_resource(resource);
    }
}

impl OtlpSpans {
    /// Moves the requests that have finished, in order, to `done`.
    fn take_finished(&mut self, done: &mut Vec<Outcome>) {
        while self
            .in_flight
            .front()
            .is_some_and(|(_, sending)| sending.is_finished())
        {
            self.wait_oldest(done);
        }
    }

    fn wait_oldest(&mut self, done: &mut Vec<Outcome>) {
        if let Some((spans, sending)) = self.in_flight.pop_front() {
            done.push((spans, otlp::joined(futures_executor::block_on(sending))));
        }
    }
}
