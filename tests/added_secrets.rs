//! Names that a program adds to the secrets (`otel_runtime::secrets::
//! add_names`) are redacted wherever the built-in ones are: `#[traced]`
//! arguments, `tracing` event fields and HTTP query parameters. A file of
//! its own: the names stay added for the whole process.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use otel_runtime::http::server::TraceLayer;
use otel_runtime::opentelemetry::Value;
use otel_runtime::testing::{SpanDataExt as _, capture, capture_async};
use otel_runtime::traced;
use tower::ServiceExt as _;

fn added() {
    otel_runtime::secrets::add_names(["iban", "taxId"]);
}

#[traced]
fn pay(customer_iban: &str, tax_ids: &[u32], amount: f64) -> usize {
    tracing::info!(iban = customer_iban, amount, "paid");
    customer_iban.len() + tax_ids.len() + amount as usize
}

#[test]
fn added_names_redact_arguments_and_event_fields() {
    added();
    let subscriber = tracing_subscriber::layer::SubscriberExt::with(
        tracing_subscriber::registry(),
        otel_runtime::tracing_layer(),
    );
    let _default = tracing::subscriber::set_default(subscriber);
    let (_, spans) = capture(|| pay("DE89 3704", &[7], 9.5));
    let span = spans.named("pay");
    let redacted = Some(Value::from("[REDACTED]"));
    assert_eq!(span.attr("customer_iban").cloned(), redacted);
    assert_eq!(span.attr("tax_ids").cloned(), redacted);
    assert_eq!(span.attr("amount"), Some(&Value::F64(9.5)));
    assert_eq!(span.event_attr("paid", "iban").cloned(), redacted);
    assert_eq!(span.event_attr("paid", "amount"), Some(&Value::F64(9.5)));
}

#[tokio::test]
async fn added_names_redact_query_parameters() {
    added();
    let app = Router::new()
        .route("/pay", get(|| async { "paid" }))
        .layer(TraceLayer::new());
    let request = Request::get("/pay?IBAN=DE89&amount=9")
        .body(Body::empty())
        .unwrap();
    let (response, spans) = capture_async(|| app.oneshot(request)).await;
    assert_eq!(response.unwrap().status(), 200);
    let server = spans.named("GET /pay");
    assert_eq!(
        server.attr("url.query"),
        Some(&Value::from("IBAN=REDACTED&amount=9"))
    );
}
