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

/// A traced function: each call's duration lands in
/// `code.function.duration`.
#[otel_runtime::traced]
fn place_order(amount: f64) -> f64 {
    std::thread::sleep(Duration::from_millis(2));
    amount
}

/// The tutorial's metrics: a counter of orders and a histogram of amounts,
/// the amounts from a traced function.
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
        amounts.record(place_order(amount), &[]);
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
    let points = receiver.metrics(4);
    let transport = if protocol == "grpc" { "grpc" } else { protocol };
    for point in &points {
        assert_eq!(point["transport"], transport);
        assert_eq!(point["resource"]["service.name"], "shop");
    }
    let durations = points
        .iter()
        .find(|point| point["name"] == "code.function.duration")
        .unwrap_or_else(|| panic!("no function durations: {points:#?}"));
    assert_eq!(durations["scope"]["name"], "otel-runtime");
    assert_eq!(durations["unit"], "s");
    let calls = &durations["point"];
    assert_eq!(
        calls["attributes"]["code.function.name"],
        "metrics::place_order"
    );
    assert_eq!(calls["count"], 3, "{durations:#?}");
    // Three calls of at least 2 ms, in seconds (not nanoseconds), in the
    // bucket from 2.5 ms to 5 ms unless the machine stalled.
    let sum = calls["sum"].as_f64().unwrap();
    assert!((0.006..1.0).contains(&sum), "{durations:#?}");
    assert_eq!(calls["explicit_bounds"][0], 0.0001, "{durations:#?}");
    let points: Vec<Value> = points
        .into_iter()
        .filter(|point| point["name"] != "code.function.duration")
        .collect();
    for point in &points {
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

/// Every trace sampled out: the durations are counted all the same.
#[test]
fn over_http_json_with_every_trace_sampled_out() {
    export_over("http/json", &[("OTEL_TRACES_SAMPLER", "always_off")]);
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

/// A collector that accepts the connection and never answers: the calls
/// are not held up, the guard gives up after the export timeout, and the
/// reading is counted as lost.
#[test]
fn a_collector_that_never_answers_holds_nothing_up() {
    let endpoint = format!("http://127.0.0.1:{}", support::silent_collector());
    let ended = support::child(program).run_until(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_METRIC_EXPORT_TIMEOUT", "1000"),
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

/// An axum service behind the server layer, called through the client
/// middleware: two requests that succeed, one that fails with a 500.
fn http_calls() {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;
    use otel_runtime::http::client::TraceMiddleware;
    use otel_runtime::http::server::TraceLayer;

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let guard = otel_runtime::init().unwrap();
        let app = Router::new()
            .route("/users/{id}", get(|| async { "user" }))
            .route(
                "/fail",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
            )
            .layer(TraceLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(TraceMiddleware::new())
            .build();
        for path in ["/users/1", "/users/2?secret=x", "/fail"] {
            client
                .get(format!("http://{address}{path}"))
                .send()
                .await
                .unwrap();
        }
        drop(guard);
    });
}

/// The HTTP metrics of the semantic conventions: durations by route (never
/// the path) and status, active requests back to zero.
#[test]
fn http_servers_and_clients_record_the_conventions_metrics() {
    let child = support::child(http_calls);
    let receiver = Receiver::start("metrics-http");
    let endpoint = format!("http://127.0.0.1:{}", receiver.http);
    child.run(&[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())]);
    let points = receiver.metrics(4);
    let named = |name: &str| -> Vec<&Value> {
        points
            .iter()
            .filter(|point| point["name"] == name)
            .collect()
    };
    let server = named("http.server.request.duration");
    assert!(
        server
            .iter()
            .all(|point| point["unit"] == "s" && point["kind"] == "histogram"),
        "{server:#?}"
    );
    let count_where = |points: &[&Value], key: &str, value: Value| -> u64 {
        points
            .iter()
            .filter(|point| point["point"]["attributes"][key] == value)
            .map(|point| point["point"]["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(count_where(&server, "http.route", "/users/{id}".into()), 2);
    assert_eq!(count_where(&server, "error.type", "500".into()), 1);
    assert_eq!(
        count_where(&server, "http.response.status_code", 200.into()),
        2
    );
    for point in &server {
        let attributes = point["point"]["attributes"].as_object().unwrap();
        assert_eq!(attributes["http.request.method"], "GET");
        assert_eq!(attributes["url.scheme"], "http");
        assert!(!attributes.contains_key("url.path"), "{attributes:?}");
        assert!(
            !point.to_string().contains("secret"),
            "no query in a metric: {point}"
        );
    }
    let active = named("http.server.active_requests");
    assert!(!active.is_empty(), "{points:#?}");
    assert!(
        active.iter().all(|point| point["point"]["value"] == 0),
        "{active:#?}"
    );
    let client = named("http.client.request.duration");
    assert_eq!(count_where(&client, "http.request.method", "GET".into()), 3);
    assert_eq!(count_where(&client, "error.type", "500".into()), 1);
    assert!(
        client
            .iter()
            .all(|point| point["point"]["attributes"]["server.address"] == "127.0.0.1"),
        "{client:#?}"
    );
}

/// With nothing configured, the last reading prints as a table on the
/// console when the guard drops, after the trees.
#[test]
fn the_console_prints_the_last_reading_as_a_table() {
    let printed = support::in_child(&[("COLUMNS", "80")], program);
    let table = printed
        .stdout
        .split_once("metrics ")
        .map(|(_, table)| table)
        .unwrap_or_else(|| panic!("no table: {}", printed.stdout));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].trim_start().starts_with("count"), "{table}");
    assert!(table.contains("shop.orders\n"), "{table}");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("  fr ") && line.ends_with(" 2")),
        "{table}"
    );
    assert!(table.contains("shop.order.amount (USD)\n"), "{table}");
}

#[derive(Debug)]
enum LookupError {
    Missing,
    Corrupt,
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[otel_runtime::traced]
fn lookup(key: u32) -> Result<u32, LookupError> {
    match key % 4 {
        0 => Err(LookupError::Missing),
        1 => Err(LookupError::Corrupt),
        _ => Ok(key),
    }
}

fn is_missing(error: &LookupError) -> bool {
    matches!(error, LookupError::Missing)
}

#[otel_runtime::traced(expected_err = is_missing)]
fn cached(key: u32) -> Result<u32, LookupError> {
    lookup(key)
}

#[otel_runtime::traced]
async fn fetch(key: u32) -> u32 {
    key
}

#[otel_runtime::traced]
fn explode(key: u32) -> u32 {
    assert!(key != 0, "boom");
    key
}

#[otel_runtime::traced]
async fn explode_later(key: u32) -> u32 {
    assert!(key != 0, "boom");
    key
}

/// Polls `explode_later(key)` once under `catch_unwind`, and drops it only
/// after the panic was caught, as an executor that catches panics does.
fn poll_and_drop_later(key: u32) {
    use std::future::Future as _;
    use std::panic::AssertUnwindSafe;
    use std::task::{Context, Waker};
    let mut future = Box::pin(explode_later(key));
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }));
    drop(future);
}

#[otel_runtime::traced]
fn step(key: u32) -> u32 {
    key
}

/// A remote caller's context, its trace not sampled.
fn unsampled_remote_parent() -> otel_runtime::opentelemetry::Context {
    use otel_runtime::opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };
    otel_runtime::opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(7),
        SpanId::from(9),
        TraceFlags::default(),
        true,
        TraceState::default(),
    ))
}

/// A function called too often for its durations to be worth their cost.
#[otel_runtime::traced(metrics = false)]
fn hot_step(key: u32) -> u32 {
    key + 1
}

/// 40 calls of `lookup` and 40 of `cached` (which calls `lookup` again),
/// 5 of an async fn, 10 of a function without metrics, 2 of one that
/// panics once, 3 under an unsampled remote parent, then 10 more of
/// `lookup` with the function metrics turned off; every trace dropped by
/// the sampler.
fn traced_calls() {
    let guard = otel_runtime::init().unwrap();
    for key in 0..40 {
        let _ = cached(key);
        let _ = lookup(key);
    }
    futures::executor::block_on(async {
        for key in 0..5 {
            fetch(key).await;
        }
    });
    for key in 0..10 {
        hot_step(key);
    }
    // Under a caller that did not sample its trace: no span, but timed.
    {
        let _parent = unsampled_remote_parent().attach();
        for key in 0..3 {
            hot_step(step(key));
        }
    }
    for key in 0..2 {
        let _ = std::panic::catch_unwind(|| explode(key));
        poll_and_drop_later(key);
    }
    // Off from here on: not counted.
    otel_runtime::function_metrics(false);
    for key in 0..10 {
        let _ = lookup(key);
    }
    drop(guard);
}

/// Every traced call's duration, sampled or not, in one histogram by
/// function and `error.type`.
#[test]
fn traced_calls_record_their_duration_even_when_sampled_out() {
    let child = support::child(traced_calls);
    let receiver = Receiver::start("metrics-traced");
    let endpoint = format!("http://127.0.0.1:{}", receiver.grpc);
    child.run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        // Roots dropped by the sampler, children by their parent's choice.
        ("OTEL_TRACES_SAMPLER", "parentbased_always_off"),
    ]);
    assert_eq!(receiver.spans(0).len(), 0, "sampled out");
    let points = receiver.metrics(5);
    let durations: Vec<&Value> = points
        .iter()
        .filter(|point| point["name"] == "code.function.duration")
        .collect();
    assert!(
        durations
            .iter()
            .all(|point| point["unit"] == "s" && point["scope"]["name"] == "otel-runtime"),
        "{durations:#?}"
    );
    let count = |function: &str, error: Option<&str>| {
        durations
            .iter()
            .filter(|point| {
                let attributes = &point["point"]["attributes"];
                attributes["code.function.name"] == format!("metrics::{function}")
                    && attributes["error.type"].as_str() == error
            })
            .map(|point| point["point"]["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    // `lookup`: 80 calls, a quarter missing and a quarter corrupt.
    assert_eq!(count("lookup", None), 40, "{durations:#?}");
    assert_eq!(count("lookup", Some("metrics::LookupError::Missing")), 20);
    assert_eq!(count("lookup", Some("metrics::LookupError::Corrupt")), 20);
    // `cached`: a missing key is expected, a success.
    assert_eq!(count("cached", None), 30);
    assert_eq!(count("cached", Some("metrics::LookupError::Corrupt")), 10);
    assert_eq!(count("fetch", None), 5);
    assert_eq!(count("explode", Some("panic")), 1);
    assert_eq!(count("explode", None), 1);
    assert_eq!(count("explode_later", Some("panic")), 1);
    assert_eq!(count("explode_later", None), 1);
    assert_eq!(count("step", None), 3);
    assert!(
        durations
            .iter()
            .all(|point| point["point"]["attributes"]["code.function.name"] != "metrics::hot_step"),
        "{durations:#?}"
    );
}
