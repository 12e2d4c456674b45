//! Libraries' own instrumentation in the trace of traced calls, checked at
//! a real OTLP receiver: tower-http's `TraceLayer` makes a `tracing` span
//! per request and events when it starts and ends; sqlx makes an event per
//! query on an in-memory SQLite database. One request through an axum
//! service gives one trace in which the request span is the root, the
//! traced handler its child, and every record carries that trace's ID and
//! the ID of the span it was written in.

#[path = "support/python.rs"]
mod python;
mod support;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use otel_runtime::traced;
use python::Receiver;
use serde_json::Value;
use sqlx::SqlitePool;
use tower_http::trace::TraceLayer;
use tracing::Instrument as _;

/// The handler: stores the order, in a traced call.
async fn place(State(pool): State<SqlitePool>, Path(id): Path<i64>) -> String {
    match store(&pool, id).await {
        Ok(rows) => format!("stored {rows}"),
        Err(error) => format!("failed: {error}"),
    }
}

#[traced(skip(pool))]
async fn store(pool: &SqlitePool, id: i64) -> Result<u64, sqlx::Error> {
    tracing::info!(id, "storing the order");
    let done = sqlx::query("INSERT INTO orders (id) VALUES (?)")
        .bind(id)
        .execute(pool)
        .await?;
    // The README's way to file a library's worker events under the call:
    // a `tracing` span of its own, made inside it.
    sqlx::query("SELECT id FROM orders WHERE id = ?")
        .bind(id)
        .fetch_one(pool)
        .instrument(tracing::info_span!("check"))
        .await?;
    Ok(done.rows_affected())
}

/// A service as users write one: axum, tower-http's `TraceLayer`, sqlx;
/// one request to it, then the guard exports everything.
fn service() {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let guard = otel_runtime::init().unwrap();
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        let app = Router::new()
            .route("/orders/{id}", post(place))
            .layer(TraceLayer::new_for_http())
            .with_state(pool.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let reply = reqwest::Client::new()
            .post(format!("http://{address}/orders/7"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(reply, "stored 1");
        pool.close().await;
        drop(guard);
    });
}

#[test]
fn a_request_through_tower_http_and_sqlx_is_one_trace_with_its_records() {
    let child = support::child(service);
    let receiver = Receiver::start("library-tracing");
    let endpoint = format!("http://127.0.0.1:{}", receiver.grpc);
    let printed = child.run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_SERVICE_NAME", "orders"),
        ("RUST_LOG", "info,tower_http=debug,sqlx=debug"),
    ]);
    assert!(
        !printed.stderr.contains("otel_runtime:"),
        "{}",
        printed.stderr
    );

    let spans = receiver.spans(3);
    let span = |name: &str| -> &Value {
        spans
            .iter()
            .find(|span| span["name"] == name)
            .unwrap_or_else(|| panic!("no span {name}: {spans:#?}"))
    };
    // tower-http's span, named by the bridge after the `tracing` span.
    let (request, store) = (span("request"), span("store"));
    assert_eq!(request["parent_span_id"], "", "{request}");
    assert_eq!(request["scope"]["name"], "tracing");
    assert_eq!(request["attributes"]["method"], "POST");
    assert_eq!(request["attributes"]["uri"], "/orders/7");
    assert_eq!(store["parent_span_id"], request["span_id"]);
    assert_eq!(store["trace_id"], request["trace_id"]);
    assert_eq!(store["attributes"]["id"], 7);
    let check = span("check");
    assert_eq!(check["parent_span_id"], store["span_id"]);

    let logs = receiver.logs(6);
    let record = |what: &dyn Fn(&Value) -> bool, name: &str| -> Value {
        logs.iter()
            .find(|&log| what(log))
            .cloned()
            .unwrap_or_else(|| panic!("no record {name}: {logs:#?}"))
    };
    let in_request = |log: &Value, span: &Value| {
        assert_eq!(log["trace_id"], request["trace_id"], "{log}");
        assert_eq!(log["span_id"], span["span_id"], "{log}");
    };
    let started = record(
        &|log| log["body"] == "started processing request",
        "started",
    );
    in_request(&started, request);
    assert_eq!(started["scope"]["name"], "tower_http::trace::on_request");
    let finished = record(
        &|log| log["body"] == "finished processing request",
        "finished",
    );
    in_request(&finished, request);
    assert_eq!(finished["attributes"]["status"], 200);
    let storing = record(&|log| log["body"] == "storing the order", "storing");
    in_request(&storing, store);

    // sqlx's query events: the table's creation outside any request, the
    // insert inside it.
    let query = |verb: &'static str| {
        move |log: &Value| {
            log["scope"]["name"] == "sqlx::query"
                && log["attributes"]["summary"]
                    .as_str()
                    .is_some_and(|summary| summary.starts_with(verb))
        }
    };
    let created = record(&query("CREATE"), "CREATE");
    assert_eq!(
        (&created["trace_id"], &created["span_id"]),
        (&"".into(), &"".into())
    );
    let inserted = record(&query("INSERT"), "INSERT");
    assert_eq!(inserted["trace_id"], request["trace_id"], "{inserted}");
    assert_eq!(inserted["attributes"]["rows_affected"], 1);
    // sqlx runs the query on its SQLite worker thread, under the `tracing`
    // span current where the query was made (`tracing::Span::current()`),
    // which is the request's: a traced call is not a `tracing` span.
    assert_eq!(inserted["span_id"], request["span_id"], "{inserted}");
    // Given a `tracing` span inside the call, the worker files its events
    // there.
    let checked = record(&query("SELECT"), "SELECT");
    assert_eq!(checked["trace_id"], request["trace_id"], "{checked}");
    assert_eq!(checked["span_id"], check["span_id"], "{checked}");
}
