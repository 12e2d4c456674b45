//! End to end: spans exported over OTLP — gRPC, HTTP/protobuf, HTTP/JSON,
//! with and without gzip — reach a real receiver (the official
//! `opentelemetry-proto` Python classes behind `grpcio` and `http.server`,
//! in `tests/otlp_receiver/`) with their resource, parent links,
//! attributes and status. (A collector that is down, slow or restarting:
//! `collector_faults.rs`.)
//!
//! The test installs the receiver's Python environment itself (once, under
//! the target directory) and starts the receiver on free loopback ports.

#[path = "support/python.rs"]
mod python;
mod support;

use std::path::{Path, PathBuf};

use otel_runtime::traced;
use python::Receiver;
use serde_json::Value;
use support::Child;

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

#[traced(kind = "server")]
fn checkout(order: u32) -> Result<u32, Declined> {
    let rows = db_query("SELECT 1", order)?;
    charge(rows)
}

#[traced(fields(db.system = "postgresql"))]
fn db_query(query: &str, order: u32) -> Result<u32, Declined> {
    Ok(query.len() as u32 + order)
}

#[traced(kind = "client")]
fn charge(amount: u32) -> Result<u32, Declined> {
    if amount > 100 {
        Err(Declined)
    } else {
        Ok(amount)
    }
}

/// A program that makes two traces, then drops the guard, which must
/// deliver every span before the process exits.
fn two_traces() {
    let guard = otel_runtime::init().unwrap();
    let _ = checkout(1);
    let _ = checkout(500);
    drop(guard);
}

/// The same from `#[tokio::main(flavor = "current_thread")]`: set up,
/// export and shut down from inside async code.
fn two_traces_on_a_current_thread_runtime() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let guard = otel_runtime::init().unwrap();
            let _ = checkout(1);
            tokio::task::yield_now().await;
            let _ = checkout(500);
            drop(guard);
        });
}

/// And from `#[tokio::main]` (multi-thread), the traces made on worker
/// threads.
fn two_traces_on_a_multi_thread_runtime() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let guard = otel_runtime::init().unwrap();
            let traces = [1, 500].map(|order| tokio::spawn(async move { checkout(order) }));
            for trace in traces {
                let _ = trace.await.unwrap();
            }
            drop(guard);
        });
}

/// Runs `program` in a child that exports over `protocol` (compressed
/// with `compression`) to a receiver of its own, and checks what arrived.
fn export_from(program: fn(), protocol: &str, compression: Option<&str>) {
    // The child stops here, before the receiver starts.
    let child = support::child(program);
    let receiver = Receiver::start(&format!(
        "{}-{}",
        protocol.replace('/', "-"),
        compression.unwrap_or("plain")
    ));
    let mut env = vec![];
    if let Some(compression) = compression {
        env.push(("OTEL_EXPORTER_OTLP_COMPRESSION", compression));
    }
    let spans = export_to(&child, &receiver, protocol, "http", &env);
    for span in &spans {
        assert_eq!(span["compressed"], compression.is_some());
        assert_eq!(span["tls"], false);
    }
}

/// Runs `child`, which makes two traces, exporting to `receiver` over
/// `protocol` with `env`, and checks what arrived (returned for more
/// checks).
fn export_to(
    child: &Child<()>,
    receiver: &Receiver,
    protocol: &str,
    scheme: &str,
    env: &[(&str, &str)],
) -> Vec<Value> {
    let port = if protocol == "grpc" {
        receiver.grpc
    } else {
        receiver.http
    };
    let endpoint = format!("{scheme}://127.0.0.1:{port}");
    let service = format!("e2e-{protocol}");
    let mut env = env.to_vec();
    env.extend([
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_SERVICE_NAME", service.as_str()),
    ]);
    let printed = child.run(&env);
    assert!(
        !printed.stderr.contains("otel_runtime:"),
        "{}",
        printed.stderr
    );

    // Two traces: checkout → db_query, charge; the second charge fails.
    let spans = receiver.spans(6);
    assert_eq!(spans.len(), 6, "{spans:#?}");
    let transport = if protocol == "grpc" { "grpc" } else { protocol };
    for span in &spans {
        assert_eq!(span["transport"], transport);
        let resource = &span["resource"];
        assert_eq!(resource["service.name"], service.as_str());
        assert_eq!(resource["telemetry.sdk.language"], "rust");
        assert!(
            resource["process.pid"].as_i64().is_some_and(|pid| pid > 0),
            "{resource}"
        );
        assert!(resource["host.name"].is_string(), "{resource}");
    }
    let named = |name: &str| {
        spans
            .iter()
            .filter(|s| s["name"] == name)
            .collect::<Vec<_>>()
    };
    let (checkouts, queries, charges) = (named("checkout"), named("db_query"), named("charge"));
    assert_eq!((checkouts.len(), queries.len(), charges.len()), (2, 2, 2));
    for checkout in &checkouts {
        assert_eq!(checkout["parent_span_id"], "");
        assert_eq!(checkout["kind"], "SPAN_KIND_SERVER");
        let children: Vec<_> = spans
            .iter()
            .filter(|s| s["parent_span_id"] == checkout["span_id"])
            .collect();
        assert_eq!(children.len(), 2, "{spans:#?}");
        assert!(
            children
                .iter()
                .all(|child| child["trace_id"] == checkout["trace_id"])
        );
    }
    assert_eq!(queries[0]["attributes"]["db.system"], "postgresql");
    assert_eq!(queries[0]["attributes"]["query"], "SELECT 1");
    let failed = charges
        .iter()
        .find(|c| c["attributes"]["amount"] == 508)
        .expect("the failed charge");
    assert_eq!(failed["kind"], "SPAN_KIND_CLIENT");
    assert_eq!(failed["status"]["code"], "STATUS_CODE_ERROR");
    assert_eq!(failed["status"]["message"], "card declined");
    assert_eq!(failed["events"][0]["name"], "exception");
    let ok = charges
        .iter()
        .find(|c| c["attributes"]["amount"] == 9)
        .expect("the good charge");
    assert_eq!(ok["status"]["code"], "STATUS_CODE_UNSET");
    spans
}

/// A fresh directory for one receiver's certificates.
fn certificate_directory(name: &str) -> PathBuf {
    let directory = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("otlp-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

/// Over TLS to a collector whose certificate only the given authority
/// vouches for, and which requires our client certificate.
fn export_over_mutual_tls(protocol: &str) {
    let child = support::child(two_traces);
    let directory = certificate_directory(&protocol.replace('/', "-"));
    let receiver = Receiver::start_with("tls", Some(&directory));
    let file = |name: &str| directory.join(name).to_str().unwrap().to_owned();
    let (ca, certificate, key) = (file("ca.pem"), file("client.pem"), file("client-key.pem"));
    let spans = export_to(
        &child,
        &receiver,
        protocol,
        "https",
        &[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()),
            (
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                certificate.as_str(),
            ),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", key.as_str()),
            // The key is the spans' alone: the other signals would connect
            // without it, and say so.
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ],
    );
    assert!(spans.iter().all(|span| span["tls"] == true));
}

#[test]
fn over_grpc_with_mutual_tls() {
    export_over_mutual_tls("grpc");
}

#[test]
fn over_http_with_mutual_tls() {
    export_over_mutual_tls("http/protobuf");
}

/// Without the authority, the collector's certificate is not trusted;
/// without our certificate, the collector refuses us: either way nothing
/// is delivered, and the loss is reported.
#[test]
fn tls_without_the_right_certificates_delivers_nothing_and_says_so() {
    let child = support::child(two_traces);
    let directory = certificate_directory("refused");
    let receiver = Receiver::start_with("tls-refused", Some(&directory));
    let ca = directory.join("ca.pem").to_str().unwrap().to_owned();
    for protocol in ["grpc", "http/protobuf"] {
        let port = if protocol == "grpc" {
            receiver.grpc
        } else {
            receiver.http
        };
        let endpoint = format!("https://127.0.0.1:{port}");
        for certificates in [
            vec![],
            vec![("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str())],
        ] {
            let mut env = certificates.clone();
            env.extend([
                ("OTEL_TRACES_EXPORTER", "otlp"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
            ]);
            let printed = child.run(&env);
            assert!(
                printed
                    .stderr
                    .contains("otel_runtime: 6 spans were lost (6 in failed exports"),
                "{protocol} {certificates:?}: {}",
                printed.stderr
            );
        }
    }
    assert_eq!(receiver.spans(0).len(), 0);
}

#[test]
fn over_grpc() {
    export_from(two_traces, "grpc", None);
}

#[test]
fn over_grpc_with_gzip() {
    export_from(two_traces, "grpc", Some("gzip"));
}

#[test]
fn over_http_protobuf() {
    export_from(two_traces, "http/protobuf", None);
}

#[test]
fn over_http_protobuf_with_gzip() {
    export_from(two_traces, "http/protobuf", Some("gzip"));
}

#[test]
fn over_http_json() {
    export_from(two_traces, "http/json", None);
}

#[test]
fn over_grpc_from_a_current_thread_tokio_runtime() {
    export_from(two_traces_on_a_current_thread_runtime, "grpc", None);
}

#[test]
fn over_grpc_from_a_multi_thread_tokio_runtime() {
    export_from(two_traces_on_a_multi_thread_runtime, "grpc", None);
}

#[test]
fn over_http_from_a_multi_thread_tokio_runtime() {
    export_from(two_traces_on_a_multi_thread_runtime, "http/protobuf", None);
}

#[test]
fn over_http_from_a_current_thread_tokio_runtime() {
    export_from(
        two_traces_on_a_current_thread_runtime,
        "http/protobuf",
        None,
    );
}

#[test]
fn over_http_json_with_gzip() {
    export_from(two_traces, "http/json", Some("gzip"));
}
