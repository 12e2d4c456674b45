//! gRPC end to end against real peers: one order crosses Python and Rust
//! and back over gRPC, and all three services export over OTLP to one real
//! receiver, which must hold a single connected trace.
//!
//! ```text
//! client.py     (grpcio + opentelemetry-instrumentation-grpc; baggage tenant=acme)
//!   └─ shop.Orders/Place ──► orders (Rust: tonic + ServerLayer, #[traced] reserve)
//!                               └─ shop.Inventory/Reserve (ClientLayer) ──► inventory.py (grpcio + the instrumentation)
//! ```
//!
//! Python → Rust: the Rust server span continues the trace of Python's
//! client span. Rust → Python: the Python server span's parent is the Rust
//! client span, and the baggage set in Python arrives through Rust. The
//! test makes the Python environments itself (once, under the target
//! directory), starts every process on free loopback ports, and stops
//! them.

#[path = "support/grpc.rs"]
mod grpc_service;
#[path = "support/peer.rs"]
mod peer;
#[path = "support/python.rs"]
mod python;
mod support;

use std::collections::{HashMap, HashSet};
use std::process::Command;

use otel_runtime::grpc::ServerLayer;
use peer::Peer;
use python::{Receiver, peers_and_receiver, tests_dir};
use serde_json::Value;

/// The Rust service, in a child process of this test binary: `shop.Orders`
/// behind the server layer, reserving at the inventory that `INVENTORY`
/// names, set up by `init` from the `OTEL_*` variables, until its standard
/// input closes.
fn rust_orders() {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let guard = otel_runtime::init().unwrap();
        let orders = grpc_service::Orders {
            inventory: Some(std::env::var("INVENTORY").unwrap()),
        };
        let port = grpc_service::serve(ServerLayer::new(), orders).await;
        peer::ready_until_stdin_closes(port).await;
        // Exports every span before the process exits.
        drop(guard);
    });
}

/// The one span of `service` named `name`.
fn one<'a>(spans: &'a [Value], service: &str, name: &str) -> &'a Value {
    let found: Vec<_> = spans
        .iter()
        .filter(|span| span["resource"]["service.name"] == service && span["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "{service} {name} in {spans:#?}");
    found[0]
}

fn is_child_of(child: &Value, parent: &Value) -> bool {
    child["parent_span_id"] == parent["span_id"]
}

#[test]
fn one_trace_across_python_and_rust_over_grpc() {
    // The child stops here, before the Python peers start.
    let rust_service = support::child(rust_orders);
    let python = peers_and_receiver("grpc_peers");
    let receiver = Receiver::start("grpc-peers");
    let http = format!("http://127.0.0.1:{}", receiver.http);
    let python_env = |service: &'static str| {
        [
            ("OTEL_SERVICE_NAME", service),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", http.as_str()),
            ("PYTHONUNBUFFERED", "1"),
        ]
    };
    let inventory = Peer::start(
        "inventory",
        Command::new(&python).arg(tests_dir("grpc_peers").join("inventory.py")),
        &python_env("inventory"),
    );
    let inventory_port = i64::from(inventory.port);
    let grpc = format!("http://127.0.0.1:{}", receiver.grpc);
    let inventory_address = format!("127.0.0.1:{inventory_port}");
    let orders = Peer::start(
        "orders",
        &mut rust_service.command(&[]),
        &[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_LOGS_EXPORTER", "none"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &grpc),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_SERVICE_NAME", "orders"),
            ("INVENTORY", &inventory_address),
        ],
    );
    let orders_port = i64::from(orders.port);

    let client = Command::new(&python)
        .arg(tests_dir("grpc_peers").join("client.py"))
        .arg(format!("127.0.0.1:{orders_port}"))
        .envs(python_env("shop-frontend"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&client.stdout);
    assert!(
        client.status.success(),
        "client.py failed: {said}\n{}",
        String::from_utf8_lossy(&client.stderr)
    );
    assert_eq!(said.trim(), "placed reserved shoes");
    let rust_output = orders.stop();
    assert!(!rust_output.contains("otel_runtime:"), "{rust_output}");
    inventory.stop();
    // 2 from Python's client, 3 from Rust, 1 from Python's server.
    let spans = receiver.spans(6);
    // The Rust service has stopped, after its last reading: its two call
    // durations (and its traced step's).
    let metrics = receiver.metrics(2);
    drop(receiver);
    check_metrics(&metrics);
    assert_eq!(spans.len(), 6, "{spans:#?}");

    // A single connected trace: one trace ID, one root, every parent here.
    let trace_ids: HashSet<_> = spans.iter().map(|span| span["trace_id"].clone()).collect();
    assert_eq!(trace_ids.len(), 1, "{spans:#?}");
    let ids: HashMap<_, _> = spans
        .iter()
        .map(|span| (span["span_id"].as_str().unwrap(), span))
        .collect();
    for span in &spans {
        let parent = span["parent_span_id"].as_str().unwrap();
        assert!(
            parent.is_empty() || ids.contains_key(parent),
            "orphan: {span:#}"
        );
    }

    // Python's client, then the Rust server under it.
    let checkout = one(&spans, "shop-frontend", "checkout");
    assert_eq!(checkout["parent_span_id"], "");
    let called = one(&spans, "shop-frontend", "/shop.Orders/Place");
    assert_eq!(called["kind"], "SPAN_KIND_CLIENT");
    assert!(is_child_of(called, checkout));
    let served = one(&spans, "orders", "shop.Orders/Place");
    assert_eq!(served["kind"], "SPAN_KIND_SERVER");
    assert!(is_child_of(served, called), "{served:#}");
    let attributes = &served["attributes"];
    assert_eq!(attributes["rpc.system"], "grpc");
    assert_eq!(attributes["rpc.service"], "shop.Orders");
    assert_eq!(attributes["rpc.method"], "Place");
    assert_eq!(attributes["rpc.grpc.status_code"], 0);
    assert_eq!(attributes["server.port"], orders_port);
    assert_eq!(attributes["network.peer.address"], "127.0.0.1");
    // The Python client records the same attributes for the same call.
    for key in [
        "rpc.system",
        "rpc.service",
        "rpc.method",
        "rpc.grpc.status_code",
    ] {
        assert_eq!(called["attributes"][key], attributes[key], "{key}");
    }

    // The handler's traced step, and the Rust client span inside it.
    let reserve = one(&spans, "orders", "reserve");
    assert!(is_child_of(reserve, served));
    let reserving = one(&spans, "orders", "shop.Inventory/Reserve");
    assert_eq!(reserving["kind"], "SPAN_KIND_CLIENT");
    assert!(is_child_of(reserving, reserve));
    assert_eq!(reserving["attributes"]["server.address"], "127.0.0.1");
    assert_eq!(reserving["attributes"]["server.port"], inventory_port);
    assert_eq!(reserving["attributes"]["rpc.grpc.status_code"], 0);

    // Rust → Python: the inventory's server span under the Rust client.
    let reserved = one(&spans, "inventory", "/shop.Inventory/Reserve");
    assert_eq!(reserved["kind"], "SPAN_KIND_SERVER");
    assert!(is_child_of(reserved, reserving), "{reserved:#}");
    // The baggage set in Python arrived in Python, through Rust.
    let baggage: Value =
        serde_json::from_str(reserved["attributes"]["test.baggage"].as_str().unwrap()).unwrap();
    assert_eq!(baggage["tenant"], "acme", "{reserved:#}");
}

/// The Rust service's call durations, by the RPC conventions: one call
/// served, one made, each a histogram in milliseconds with the call's
/// `rpc.*` attributes and status code.
fn check_metrics(points: &[Value]) {
    let duration = |name: &str, service: &str, method: &str| {
        let found: Vec<_> = points
            .iter()
            .filter(|point| point["name"] == name)
            .collect();
        assert_eq!(found.len(), 1, "{name} in {points:#?}");
        let point = found[0];
        assert_eq!(point["resource"]["service.name"], "orders", "{point:#}");
        assert_eq!(point["scope"]["name"], "otel-runtime", "{point:#}");
        assert_eq!(point["kind"], "histogram", "{point:#}");
        assert_eq!(point["unit"], "ms", "{point:#}");
        assert_eq!(point["point"]["count"], 1, "{point:#}");
        let attributes = &point["point"]["attributes"];
        assert_eq!(attributes["rpc.system"], "grpc", "{point:#}");
        assert_eq!(attributes["rpc.service"], service, "{point:#}");
        assert_eq!(attributes["rpc.method"], method, "{point:#}");
        assert_eq!(attributes["rpc.grpc.status_code"], 0, "{point:#}");
    };
    duration("rpc.server.duration", "shop.Orders", "Place");
    duration("rpc.client.duration", "shop.Inventory", "Reserve");
}
