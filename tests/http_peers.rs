//! End to end against real peers: one order crosses Python and Rust and
//! back, and all three services export over OTLP to one real receiver,
//! which must hold a single connected trace.
//!
//! ```text
//! client.py   (requests + opentelemetry-instrumentation-requests; baggage tenant=acme)
//!   └─ POST ──────────► order service (Rust: examples/order_service.rs, TraceLayer, #[traced])
//!                         └─ notify_warehouse ─ POST ──► warehouse.py (Flask + opentelemetry-instrumentation-flask)
//! ```
//!
//! Python → Rust: the Rust server span continues the trace of Python's
//! `requests`. Rust → Python: the Flask server span's parent is the Rust
//! client span, and the baggage set in Python arrives through Rust. The
//! Rust service exports over gRPC, the Python ones over HTTP/protobuf.
//!
//! And the logs of the request, at the same receiver: the Python peers log
//! through Python's `logging` (opentelemetry-instrumentation-logging's
//! handler, the SDK's `LoggerProvider`), the Rust service through both `log`
//! and `tracing`. Every log record of all three services carries the
//! request's one trace ID and the span ID of the span it was written in
//! (each record is matched to its span, of its own service), and the
//! Python peers print those IDs in their log format too.
//!
//! And the HTTP metrics, at the same receiver, each service's under its
//! own resource (`service.name`): the Rust service's
//! `http.server.request.duration` (by the route template `/order`, `POST`,
//! 201, one request), `http.server.active_requests` (back to 0) and
//! `http.client.request.duration` (its call to the warehouse:
//! `server.address` 127.0.0.1 and the warehouse's port, 202), recorded by
//! `TraceLayer` and `TraceMiddleware`; Flask's `http.server.request.duration`
//! (route `/orders`) and `http.server.active_requests`; Python's `requests`
//! `http.client.request.duration`. The Python peers report them through the
//! SDK's `MeterProvider` (OTLP/HTTP), with the stable names and attributes
//! (`OTEL_SEMCONV_STABILITY_OPT_IN=http`, as for their spans); their
//! exemplars name the request's trace. No data point has a URL's path or
//! query among its attributes. Every process has stopped, and so sent its
//! last reading, before the test reads them.
//!
//! The test makes the Python environments itself (once, under the target
//! directory: `tests/otlp_receiver/requirements.txt` and
//! `tests/http_peers/requirements.txt`), starts every process on free
//! loopback ports, and stops them: each peer stops when its standard input
//! closes, so none outlives the test.

#[allow(dead_code)] // its `main`, and the warehouse that Flask replaces here
#[path = "../examples/order_service.rs"]
mod order_service;
#[path = "support/peer.rs"]
mod peer;
#[path = "support/python.rs"]
mod python;
mod support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use peer::Peer;
use python::{Receiver, peers_and_receiver, tests_dir};
use serde_json::Value;

/// The Rust service, in a child process of this test binary: the examples'
/// order service, set up by `init` from the `OTEL_*` variables, until its
/// standard input closes.
fn rust_order_service() {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let guard = otel_runtime::init().unwrap();
        let warehouse = std::env::var("WAREHOUSE_URL").unwrap();
        let app = order_service::order_service(warehouse);
        let address = order_service::start(app, "127.0.0.1:0").await.unwrap();
        peer::ready_until_stdin_closes(address.port()).await;
        // Exports every span before the process exits.
        drop(guard);
    });
}

fn python_peer(python: &Path, script: &str, service: &'static str, receiver: &Receiver) -> Peer {
    let endpoint = format!("http://127.0.0.1:{}", receiver.http);
    Peer::start(
        service,
        Command::new(python).arg(tests_dir("http_peers").join(script)),
        &[
            ("OTEL_SERVICE_NAME", service),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            // The stable HTTP attribute and metric names (not the old
            // `http.server.duration` in ms), as the Rust side records.
            ("OTEL_SEMCONV_STABILITY_OPT_IN", "http"),
            ("PYTHONUNBUFFERED", "1"),
        ],
    )
}

/// Everything received, by span ID.
struct Trace {
    spans: Vec<Value>,
}

impl Trace {
    fn one(&self, service: &str, name: &str) -> &Value {
        let found: Vec<_> = self
            .spans
            .iter()
            .filter(|span| span["resource"]["service.name"] == service && span["name"] == name)
            .collect();
        assert_eq!(found.len(), 1, "{service} {name} in {:#?}", self.spans);
        found[0]
    }

    fn is_child_of(&self, child: &Value, parent: &Value) -> bool {
        child["parent_span_id"] == parent["span_id"]
    }
}

#[test]
fn one_trace_across_python_and_rust_through_a_real_receiver() {
    // The child stops here, before the Python peers start.
    let rust_service = support::child(rust_order_service);
    let started = Instant::now();
    let python = peers_and_receiver("http_peers");
    let set_up = started.elapsed();

    let receiver = Receiver::start("http-peers");
    let warehouse = python_peer(&python, "warehouse.py", "warehouse", &receiver);
    let grpc = format!("http://127.0.0.1:{}", receiver.grpc);
    let warehouse_port = i64::from(warehouse.port);
    let warehouse_url = format!("http://127.0.0.1:{warehouse_port}");
    // Its settings through `Peer::start`, which removes this process's
    // `OTEL_*` variables from the command, then adds these.
    let orders = Peer::start(
        "order-service",
        &mut rust_service.command(&[]),
        &[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &grpc),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_SERVICE_NAME", "order-service"),
            ("WAREHOUSE_URL", &warehouse_url),
        ],
    );
    let orders_port = i64::from(orders.port);
    let order_url = format!("http://127.0.0.1:{orders_port}/order");

    let client = Command::new(&python)
        .arg(tests_dir("http_peers").join("client.py"))
        .arg(&order_url)
        .env("OTEL_SERVICE_NAME", "shop-frontend")
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", receiver.http),
        )
        .env("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&client.stdout);
    let client_logged = String::from_utf8_lossy(&client.stderr);
    assert!(
        client.status.success(),
        "client.py failed: {said}\n{client_logged}"
    );
    assert!(said.starts_with("201 "), "{said}");
    assert!(said.contains("\"order_id\":1042"), "{said}");

    let rust_output = orders.stop();
    assert!(!rust_output.contains("otel_runtime:"), "{rust_output}");
    let warehouse_logged = warehouse.stop();
    // 2 from Python's client, 5 from Rust, 2 from Flask.
    let spans = receiver.spans(9);
    // 2 from Python's client, 3 from Rust, 2 from Flask.
    let logs = receiver.logs(7);
    // All three have stopped, each after sending its last reading: 3 data
    // points from Rust (server duration, active requests, client
    // duration), 2 from Flask (the same on the server), 1 from Python's
    // client.
    let metrics = receiver.metrics(6);
    drop(receiver);
    eprintln!(
        "http_peers: environments ready in {set_up:?}, whole test {:?}",
        started.elapsed()
    );
    let trace = Trace { spans };
    check(&trace, orders_port, warehouse_url);
    check_logs(
        &trace,
        &logs,
        &[
            ("shop-frontend", &client_logged),
            ("warehouse", &warehouse_logged),
        ],
    );
    check_metrics(&trace, &metrics, orders_port, warehouse_port);
}

fn check(trace: &Trace, orders_port: i64, warehouse_url: String) {
    let spans = &trace.spans;
    assert_eq!(spans.len(), 9, "{spans:#?}");

    // A single connected trace: one trace ID, one root, every parent here.
    let trace_ids: HashSet<_> = spans.iter().map(|span| span["trace_id"].clone()).collect();
    assert_eq!(trace_ids.len(), 1, "{spans:#?}");
    let ids: HashMap<_, _> = spans
        .iter()
        .map(|span| (span["span_id"].as_str().unwrap(), span))
        .collect();
    let roots: Vec<_> = spans
        .iter()
        .filter(|span| span["parent_span_id"] == "")
        .collect();
    assert_eq!(roots.len(), 1, "{spans:#?}");
    for span in spans {
        let parent = span["parent_span_id"].as_str().unwrap();
        assert!(
            parent.is_empty() || ids.contains_key(parent),
            "orphan: {span:#}"
        );
    }

    // Python's client: the root, and the requests span.
    let checkout = trace.one("shop-frontend", "checkout");
    assert_eq!(roots[0], checkout);
    let requests = trace.one("shop-frontend", "POST");
    assert_eq!(requests["kind"], "SPAN_KIND_CLIENT");
    assert!(trace.is_child_of(requests, checkout));

    // Python → Rust: the Rust server span continues the requests span.
    let server = trace.one("order-service", "POST /order");
    assert_eq!(server["kind"], "SPAN_KIND_SERVER");
    assert_eq!(server["scope"]["name"], "otel-runtime");
    assert!(trace.is_child_of(server, requests), "{server:#}");
    let attributes = &server["attributes"];
    assert_eq!(attributes["http.request.method"], "POST");
    assert_eq!(attributes["url.path"], "/order");
    assert_eq!(attributes["url.scheme"], "http");
    assert_eq!(attributes["http.route"], "/order");
    assert_eq!(attributes["http.response.status_code"], 201);
    assert_eq!(attributes["server.address"], "127.0.0.1");
    assert_eq!(attributes["server.port"], orders_port);
    assert_eq!(attributes["client.address"], "127.0.0.1");
    assert_eq!(attributes["network.protocol.version"], "1.1");
    assert!(
        attributes["user_agent.original"]
            .as_str()
            .is_some_and(|agent| agent.starts_with("python-requests/")),
        "{attributes:#}"
    );
    assert_eq!(server["status"]["code"], "STATUS_CODE_UNSET");

    // The handler's #[traced] steps are the server span's children.
    for step in ["validate_order", "save_to_database", "notify_warehouse"] {
        let span = trace.one("order-service", step);
        assert!(trace.is_child_of(span, server), "{step}: {span:#}");
    }
    let notify = trace.one("order-service", "notify_warehouse");
    assert_eq!(notify["attributes"]["response_status"], 202);

    // Rust → Python: the client span inside notify_warehouse, and Flask's
    // server span under it.
    let call = trace.one("order-service", "POST");
    assert_eq!(call["kind"], "SPAN_KIND_CLIENT");
    assert!(trace.is_child_of(call, notify));
    assert_eq!(call["attributes"]["http.request.method"], "POST");
    assert_eq!(
        call["attributes"]["url.full"],
        format!("{warehouse_url}/orders")
    );
    assert_eq!(call["attributes"]["server.address"], "127.0.0.1");
    assert_eq!(call["attributes"]["http.response.status_code"], 202);
    let flask = trace.one("warehouse", "POST /orders");
    assert_eq!(flask["kind"], "SPAN_KIND_SERVER");
    assert!(trace.is_child_of(flask, call), "{flask:#}");
    assert!(trace.is_child_of(trace.one("warehouse", "reserve_stock"), flask));

    // The baggage set in Python arrived in Flask, through Rust.
    let baggage: Value =
        serde_json::from_str(flask["attributes"]["test.baggage"].as_str().unwrap()).unwrap();
    assert_eq!(baggage["tenant"], "acme", "{flask:#}");

    // Both ways of exporting reached the one receiver.
    for span in spans {
        let expected = if span["resource"]["service.name"] == "order-service" {
            "grpc"
        } else {
            "http/protobuf"
        };
        assert_eq!(span["transport"], expected, "{span:#}");
    }
}

/// The log records of the request, after [`check`] (one trace): from all
/// three services, each with the trace ID and the ID of a span of its own
/// service; the ones written, each in its span. `printed` is what each
/// Python peer printed, where its log format shows the IDs too.
fn check_logs(trace: &Trace, logs: &[Value], printed: &[(&str, &str)]) {
    assert_eq!(logs.len(), 7, "{logs:#?}");
    let trace_id = trace.spans[0]["trace_id"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32, "{trace_id}");

    let services: HashSet<_> = logs
        .iter()
        .map(|log| log["resource"]["service.name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        services,
        HashSet::from(["shop-frontend", "order-service", "warehouse"]),
        "{logs:#?}"
    );

    // Every record: the request's trace, a span of its own service, and
    // its service's transport.
    for log in logs {
        let service = &log["resource"]["service.name"];
        assert_eq!(log["trace_id"], trace_id, "{log:#}");
        // Sampled; Python's own trace also says its trace ID is random
        // (W3C level 2: 0x02), a flag that Rust does not pass on.
        let flags = log["flags"].as_u64().unwrap();
        assert_eq!(flags & 1, 1, "sampled: {log:#}");
        let span = trace
            .spans
            .iter()
            .find(|span| span["span_id"] == log["span_id"])
            .unwrap_or_else(|| panic!("no span {}: {log:#}", log["span_id"]));
        assert_eq!(span["resource"]["service.name"], *service, "{log:#}");
        let transport = if service == "order-service" {
            "grpc"
        } else {
            "http/protobuf"
        };
        assert_eq!(log["transport"], transport, "{log:#}");
        assert!(log["time_unix_nano"].as_u64().unwrap() > 0, "{log:#}");
        assert_eq!(log["severity_number"], "SEVERITY_NUMBER_INFO", "{log:#}");
    }

    // Each record, written in the span it names.
    let record = |service: &str, body: &str, span: &Value| -> &Value {
        let found: Vec<_> = logs
            .iter()
            .filter(|log| log["resource"]["service.name"] == service && log["body"] == body)
            .collect();
        assert_eq!(found.len(), 1, "{service} {body:?} in {logs:#?}");
        assert_eq!(found[0]["span_id"], span["span_id"], "{:#}", found[0]);
        found[0]
    };

    // Rust, through `tracing`: its fields are typed attributes.
    let server = trace.one("order-service", "POST /order");
    let received = record("order-service", "order received", server);
    assert_eq!(received["attributes"]["order_id"], 42, "{received:#}");
    assert_eq!(received["attributes"]["items"], 2, "{received:#}");
    let saved = record(
        "order-service",
        "order saved",
        trace.one("order-service", "save_to_database"),
    );
    assert_eq!(saved["attributes"]["saved_id"], 1042, "{saved:#}");
    // Rust, through `log`: a formatted message, and the place of the
    // `log::info!` call rather than of the bridge.
    let notify = trace.one("order-service", "notify_warehouse");
    let answered = record(
        "order-service",
        "warehouse answered 202 for order 42",
        notify,
    );
    assert!(
        answered["attributes"]["code.file.path"]
            .as_str()
            .is_some_and(|path| path.ends_with("order_service.rs")),
        "{answered:#}"
    );
    assert_eq!(answered["attributes"].get("order_id"), None, "{answered:#}");
    for log in [received, saved, answered] {
        assert_eq!(log["severity_text"], "INFO", "{log:#}");
    }

    // Python's `logging`: the logger's name (the service's, in both peers)
    // is the scope's, `extra` the attributes, and the logging
    // instrumentation adds the IDs it puts in the log format.
    let checkout = trace.one("shop-frontend", "checkout");
    let placing = record("shop-frontend", "placing order", checkout);
    assert_eq!(placing["attributes"]["order_id"], 42, "{placing:#}");
    let reply = record("shop-frontend", "order service answered", checkout);
    assert_eq!(reply["attributes"]["status"], 201, "{reply:#}");
    let flask = trace.one("warehouse", "POST /orders");
    let arrived = record("warehouse", "order received", flask);
    assert_eq!(arrived["attributes"]["order_id"], 42, "{arrived:#}");
    assert_eq!(arrived["attributes"]["items"], 2, "{arrived:#}");
    let reserved = record(
        "warehouse",
        "stock reserved",
        trace.one("warehouse", "reserve_stock"),
    );
    for log in [placing, reply, arrived, reserved] {
        let service = log["resource"]["service.name"].as_str().unwrap();
        assert_eq!(log["scope"]["name"], service, "{log:#}");
        assert_eq!(log["severity_text"], "INFO", "{log:#}");
        let attributes = &log["attributes"];
        assert_eq!(attributes["otelTraceID"], trace_id, "{log:#}");
        assert_eq!(attributes["otelSpanID"], log["span_id"], "{log:#}");
        assert_eq!(attributes["otelServiceName"], service, "{log:#}");

        // The same IDs in the line it printed.
        let (_, output) = printed.iter().find(|(peer, _)| *peer == service).unwrap();
        let body = log["body"].as_str().unwrap();
        let line = format!(
            "[trace_id={trace_id} span_id={} resource.service.name={service} \
             trace_sampled=True] - {body}",
            log["span_id"].as_str().unwrap()
        );
        assert!(output.contains(&line), "{line:?} in:\n{output}");
    }
}

/// The HTTP metrics of the one request, each service's under its own
/// resource: the Rust service's server and client durations and active
/// requests (recorded by `TraceLayer` and `TraceMiddleware`), Flask's
/// server duration and active requests, and Python's `requests` client
/// duration, all with the stable semantic conventions' names and
/// attributes, and none with the URL's path or query. The Python SDK's
/// exemplars point into the trace (the Rust SDK, 0.33, records none, so
/// none are checked there).
fn check_metrics(trace: &Trace, points: &[Value], orders_port: i64, warehouse_port: i64) {
    let services: HashSet<_> = points
        .iter()
        .map(|point| {
            point["resource"]["service.name"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        services,
        HashSet::from(["shop-frontend", "order-service", "warehouse"]),
        "{points:#?}"
    );
    for point in points {
        let transport = if point["resource"]["service.name"] == "order-service" {
            "grpc"
        } else {
            "http/protobuf"
        };
        assert_eq!(point["transport"], transport, "{point:#}");
        // Not the old names (milliseconds): the Python peers opt in to
        // the stable ones, as Rust records.
        let name = point["name"].as_str().unwrap();
        assert!(
            !["http.server.duration", "http.client.duration"].contains(&name),
            "{point:#}"
        );
        // Cardinality: neither the path nor the query of a URL.
        let attributes = point["point"]["attributes"].as_object().unwrap();
        for key in [
            "url.path",
            "url.full",
            "url.query",
            "http.target",
            "http.url",
        ] {
            assert!(!attributes.contains_key(key), "{key}: {point:#}");
        }
        assert!(
            attributes
                .values()
                .all(|value| !value.as_str().is_some_and(|text| text.contains('?'))),
            "{point:#}"
        );
    }

    // The last reading of `name` from `service`: one data point per
    // attribute set, the latest (the readings are cumulative, so a
    // periodic export before the last one repeats the same points).
    let last = |service: &str, name: &str| -> Vec<&Value> {
        let mut last: Vec<&Value> = Vec::new();
        for point in points
            .iter()
            .filter(|point| point["resource"]["service.name"] == service && point["name"] == name)
        {
            let time = |point: &Value| point["point"]["time_unix_nano"].as_u64().unwrap();
            match last
                .iter_mut()
                .find(|seen| seen["point"]["attributes"] == point["point"]["attributes"])
            {
                Some(seen) if time(seen) < time(point) => *seen = point,
                Some(_) => {}
                None => last.push(point),
            }
        }
        last
    };
    // The one data point of a duration histogram, in seconds, cumulative:
    // `count` requests, with these attributes.
    let duration = |service: &str, name: &str, count: u64, expected: &[(&str, Value)]| {
        let found = last(service, name);
        assert_eq!(found.len(), 1, "{service} {name} in {points:#?}");
        let point = found[0];
        assert_eq!(point["kind"], "histogram", "{point:#}");
        assert_eq!(point["unit"], "s", "{point:#}");
        assert_eq!(
            point["temporality"], "AGGREGATION_TEMPORALITY_CUMULATIVE",
            "{point:#}"
        );
        assert_eq!(point["point"]["count"], count, "{point:#}");
        let seconds = point["point"]["sum"].as_f64().unwrap();
        assert!(seconds > 0.0 && seconds < 60.0, "{point:#}");
        let attributes = &point["point"]["attributes"];
        for (key, value) in expected {
            assert_eq!(attributes[key], *value, "{key}: {point:#}");
        }
        assert_eq!(attributes.get("error.type"), None, "{point:#}");
        point
    };
    // Active requests of a server: back to 0 once it answered.
    let none_active = |service: &str| {
        let active = last(service, "http.server.active_requests");
        assert!(!active.is_empty(), "{service} in {points:#?}");
        for point in active {
            assert_eq!(point["kind"], "sum", "{point:#}");
            assert_eq!(point["monotonic"], false, "{point:#}");
            assert_eq!(point["point"]["value"], 0, "{point:#}");
            assert_eq!(
                point["point"]["attributes"]["http.request.method"], "POST",
                "{point:#}"
            );
        }
    };

    // The Rust service: the order it served, by route template, and its
    // call to the warehouse.
    let served = duration(
        "order-service",
        "http.server.request.duration",
        1,
        &[
            ("http.request.method", "POST".into()),
            ("http.route", "/order".into()),
            ("http.response.status_code", 201.into()),
            ("url.scheme", "http".into()),
            ("network.protocol.version", "1.1".into()),
        ],
    );
    assert_eq!(served["scope"]["name"], "otel-runtime", "{served:#}");
    none_active("order-service");
    duration(
        "order-service",
        "http.client.request.duration",
        1,
        &[
            ("http.request.method", "POST".into()),
            ("http.response.status_code", 202.into()),
            ("server.address", "127.0.0.1".into()),
            ("server.port", warehouse_port.into()),
        ],
    );

    // Flask, the warehouse: the request from Rust, by its route.
    let flask = duration(
        "warehouse",
        "http.server.request.duration",
        1,
        &[
            ("http.request.method", "POST".into()),
            ("http.route", "/orders".into()),
            ("http.response.status_code", 202.into()),
            ("url.scheme", "http".into()),
        ],
    );
    assert_eq!(
        flask["scope"]["name"], "opentelemetry.instrumentation.flask",
        "{flask:#}"
    );
    none_active("warehouse");
    // Its exemplar: the request's trace, in Flask's server span.
    let exemplar = |span: &Value| {
        serde_json::json!([{
            "trace_id": span["trace_id"],
            "span_id": span["span_id"],
        }])
    };
    let server_span = trace.one("warehouse", "POST /orders");
    assert_eq!(
        flask["point"]["exemplars"],
        exemplar(server_span),
        "{flask:#}"
    );

    // Python's requests: its call to the Rust service.
    let requests = duration(
        "shop-frontend",
        "http.client.request.duration",
        1,
        &[
            ("http.request.method", "POST".into()),
            ("http.response.status_code", 201.into()),
            ("server.address", "127.0.0.1".into()),
            ("server.port", orders_port.into()),
        ],
    );
    assert_eq!(
        requests["scope"]["name"], "opentelemetry.instrumentation.requests",
        "{requests:#}"
    );
    let client_span = trace.one("shop-frontend", "POST");
    assert_eq!(
        requests["point"]["exemplars"],
        exemplar(client_span),
        "{requests:#}"
    );
}
