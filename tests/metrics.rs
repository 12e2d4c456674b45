//! The metrics signal end to end: `init` sets up the global meter
//! provider, a program's own instruments (made through
//! `opentelemetry::global::meter`, re-exported) reach a real receiver
//! (`tests/otlp_receiver/`) over each OTLP transport with the temporality
//! asked for, the guard sends the last values when it drops, and failed
//! exports are counted and reported.

#[path = "support/python.rs"]
mod python;
mod support;

use std::time::Duration;

use otel_runtime::opentelemetry::{KeyValue, global};
use python::Receiver;
use serde_json::Value;

/// The tutorial's metrics: a counter of orders and a histogram of amounts.
fn program() {
    let guard = otel_runtime::init().unwrap();
    let meter = global::meter("shop");
    let orders = meter
        .u64_counter("shop.orders")
        .with_description("orders placed")
        .build();
    let amounts = meter
        .f64_histogram("shop.order.amount")
        .with_unit("USD")
        .build();
    for (amount, country) in [(10.0, "fr"), (32.5, "fr"), (7.5, "de")] {
        orders.add(1, &[KeyValue::new("country", country)]);
        amounts.record(amount, &[]);
    }
    drop(guard);
}

/// Runs [`program`] exporting over `protocol` with `env`, and returns the
/// data points that arrived, after checking what every program sends.
fn export_over(protocol: &str, env: &[(&str, &str)]) -> Vec<Value> {
    let child = support::child(program);
    let receiver = Receiver::start(&format!("metrics-{}", protocol.replace('/', "-")));
    let port = if protocol == "grpc" {
        receiver.grpc
    } else {
        receiver.http
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut env = env.to_vec();
    env.extend([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_SERVICE_NAME", "shop"),
    ]);
    let printed = child.run(&env);
    assert!(
        !printed.stderr.contains("otel_runtime:"),
        "{}",
        printed.stderr
    );
    let points = receiver.metrics(3);
    let transport = if protocol == "grpc" { "grpc" } else { protocol };
    for point in &points {
        assert_eq!(point["transport"], transport);
        assert_eq!(point["resource"]["service.name"], "shop");
        assert_eq!(point["scope"]["name"], "shop");
    }
    let orders: Vec<&Value> = points
        .iter()
        .filter(|point| point["name"] == "shop.orders")
        .collect();
    let count_in = |country: &str| {
        orders
            .iter()
            .find(|point| point["point"]["attributes"]["country"] == country)
            .map(|point| point["point"]["value"].clone())
    };
    assert_eq!(count_in("fr"), Some(2.into()), "{points:#?}");
    assert_eq!(count_in("de"), Some(1.into()), "{points:#?}");
    assert!(
        orders
            .iter()
            .all(|point| point["kind"] == "sum" && point["monotonic"] == true)
    );
    let amounts = points
        .iter()
        .find(|point| point["name"] == "shop.order.amount")
        .unwrap_or_else(|| panic!("no histogram: {points:#?}"));
    assert_eq!(amounts["kind"], "histogram");
    assert_eq!(amounts["unit"], "USD");
    assert_eq!(amounts["point"]["count"], 3);
    assert_eq!(amounts["point"]["sum"], 50.0);
    points
}

fn temporality(points: &[Value]) -> &str {
    points[0]["temporality"].as_str().unwrap()
}

#[test]
fn over_grpc() {
    let points = export_over("grpc", &[]);
    assert_eq!(temporality(&points), "AGGREGATION_TEMPORALITY_CUMULATIVE");
}

#[test]
fn over_http_protobuf_with_gzip() {
    let points = export_over(
        "http/protobuf",
        &[("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip")],
    );
    assert!(points.iter().all(|point| point["compressed"] == true));
}

#[test]
fn over_http_json() {
    export_over("http/json", &[]);
}

#[test]
fn delta_temporality_as_asked() {
    let points = export_over(
        "grpc",
        &[("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")],
    );
    assert!(
        points
            .iter()
            .all(|point| point["temporality"] == "AGGREGATION_TEMPORALITY_DELTA"),
        "{points:#?}"
    );
}

/// `OTEL_METRICS_EXPORTER=none`: nothing is sent, even with an endpoint.
#[test]
fn none_sends_nothing() {
    let child = support::child(program);
    let receiver = Receiver::start("metrics-none");
    let endpoint = format!("http://127.0.0.1:{}", receiver.http);
    child.run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]);
    assert_eq!(receiver.metrics(0).len(), 0);
}

/// A collector that is down: the program does not wait for it longer
/// than the export timeout, and the lost export is reported.
#[test]
fn a_collector_that_is_down_is_reported() {
    let closed = support::closed_port();
    let endpoint = format!("http://127.0.0.1:{}", closed.port());
    let ended = support::child(program).run_until(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_METRICS_EXPORTER", "otlp"),
        ],
        Duration::from_secs(30),
    );
    assert!(ended.succeeded(), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("otel_runtime: 1 metric readings were lost (1 in failed exports"),
        "{}",
        ended.stderr
    );
}

/// A certificate problem of the metrics' own files names the signal: the
/// spans' client key (`…_TRACES_CLIENT_KEY`) is not the metrics'.
#[test]
fn a_problem_with_the_metrics_own_certificates_names_them() {
    let closed = support::closed_port();
    let endpoint = format!("http://127.0.0.1:{}", closed.port());
    let printed = support::in_child(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_LOGS_EXPORTER", "none"),
            (
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                "/nonexistent/client.pem",
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                "/nonexistent/key.pem",
            ),
        ],
        || drop(otel_runtime::init().unwrap()),
    );
    let metrics_line = printed
        .stderr
        .lines()
        .find(|line| line.ends_with("(for metrics)"))
        .unwrap_or_else(|| panic!("{}", printed.stderr));
    assert!(
        metrics_line.starts_with("otel_runtime: OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE="),
        "{metrics_line}"
    );
    assert!(
        !printed.stderr.contains("(for log records)"),
        "{}",
        printed.stderr
    );
}
