//! What exporting a span costs the process, apart from the call that made
//! it: `scripts/export-instructions.sh` runs each sender below under
//! callgrind and counts every thread but the main one (the export thread,
//! the exporter's runtime), for N and 2N spans; the difference over N is
//! one span, from its end to its bytes on a loopback socket.
//!
//! - `export_cost --receiver`: an OTLP receiver for gRPC and HTTP/protobuf
//!   on one free loopback port (printed), counting the spans it decodes;
//!   `GET /count` answers the count. Runs until its standard input closes.
//! - `export_cost SENDER SPANS`: makes SPANS spans on the main
//!   thread, then shuts its pipeline down, which exports what waits.
//!   `traced-grpc`, `traced-http`: `#[traced] work` set up by `init` from
//!   the environment. `sdk-grpc`, `sdk-http`: the same span by hand
//!   (`raw_sdk::work_same_span`) through the raw SDK: `SdkTracerProvider`,
//!   its batch processor and `opentelemetry-otlp`'s exporter.
//!
//! It prints nothing about time and asserts nothing.

mod common;

use std::io::Read as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::{get, post};
use common::{A, S, raw_sdk, traced};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use otel_runtime::opentelemetry::trace::TracerProvider as _;
use otel_runtime::opentelemetry_sdk::Resource;
use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
use otel_runtime::opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use prost::Message as _;

/// Counts the spans of every export request, over either transport.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<AtomicU64>,
}

impl Receiver {
    fn count(&self, request: &ExportTraceServiceRequest) {
        self.spans
            .fetch_add(common::spans_in(request), Ordering::Relaxed);
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.count(request.get_ref());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Serves both transports on one port until standard input closes.
fn receive() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = Receiver::default();
    let http = receiver.clone();
    let count = receiver.clone();
    let app = tonic::service::Routes::new(TraceServiceServer::new(receiver))
        .into_axum_router()
        .route(
            "/v1/traces",
            post(move |body: Bytes| async move {
                let request = ExportTraceServiceRequest::decode(body).unwrap();
                http.count(&request);
                ExportTraceServiceResponse::default().encode_to_vec()
            }),
        )
        .route(
            "/count",
            get(move || async move { count.spans.load(Ordering::Relaxed).to_string() }),
        );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    runtime.spawn(async move { axum::serve(listener, app).await });
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// An exporter whose exports run on `runtime`, as `init`'s do: the HTTP
/// client needs a Tokio runtime, and the batch processor's thread is not
/// one of its threads.
#[derive(Debug)]
struct OnRuntime {
    exporter: opentelemetry_otlp::SpanExporter,
    runtime: tokio::runtime::Handle,
}

impl SpanExporter for OnRuntime {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.runtime.block_on(self.exporter.export(batch))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.exporter.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.exporter.set_resource(resource);
    }
}

/// Makes `spans` spans as `sender` says, then shuts the pipeline down.
/// The script sets `OTEL_EXPORTER_OTLP_ENDPOINT` and, for `init`,
/// `OTEL_EXPORTER_OTLP_PROTOCOL`.
fn send(sender: &str, spans: u64) {
    match sender {
        "traced-grpc" | "traced-http" => {
            let guard = otel_runtime::init().unwrap();
            for _ in 0..spans {
                std::hint::black_box(traced::work(A, S));
            }
            drop(guard);
        }
        "sdk-grpc" | "sdk-http" => {
            let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap();
            // The exporter's connection lives on a runtime, as `init`'s
            // does: one worker thread.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let _entered = runtime.enter();
            let exporter = if sender == "sdk-grpc" {
                use opentelemetry_otlp::WithExportConfig as _;
                opentelemetry_otlp::SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(endpoint)
                    .build()
            } else {
                use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
                let client = opentelemetry_http::hyper::HyperClient::with_default_connector(
                    Duration::from_secs(10),
                    None,
                );
                opentelemetry_otlp::SpanExporter::builder()
                    .with_http()
                    .with_http_client(client)
                    .with_endpoint(format!("{endpoint}/v1/traces"))
                    .build()
            }
            .unwrap();
            let exporter = OnRuntime {
                exporter,
                runtime: runtime.handle().clone(),
            };
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .build();
            let tracer = provider.tracer("bench");
            for _ in 0..spans {
                std::hint::black_box(raw_sdk::work_same_span(&tracer, A, S));
            }
            provider.shutdown().unwrap();
        }
        other => panic!("no sender {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [receiver] if receiver == "--receiver" => receive(),
        [sender, spans] => send(sender, spans.parse().unwrap()),
        // `cargo bench` runs every bench binary with `--bench`: nothing to
        // do without the script.
        _ => eprintln!("export_cost: run scripts/export-instructions.sh"),
    }
}
