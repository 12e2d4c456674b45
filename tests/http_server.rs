//! The server layer (`otel_runtime::http::server::TraceLayer`): one span of
//! kind Server per request, named after the route template, with the HTTP
//! semantic-convention attributes, continuing the caller's trace, current
//! in the handler. Run in-process with `tower::ServiceExt::oneshot`.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, Response, StatusCode};
use axum::routing::{get, post};
use futures::FutureExt as _;
use otel_runtime::http::server::TraceLayer;
use otel_runtime::opentelemetry::baggage::BaggageExt as _;
use otel_runtime::opentelemetry::trace::{SpanId, SpanKind, Status, TraceContextExt as _};
use otel_runtime::opentelemetry::{Array, Context, Value, global};
use otel_runtime::testing::{CapturedSpans, SpanDataExt as _, capture_async};
use otel_runtime::traced;
use tower::ServiceExt as _;

/// What `init` installs: W3C trace context and baggage.
fn propagators() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        global::set_text_map_propagator(otel_runtime::propagation::default_propagator());
    });
}

#[traced]
async fn load_user(id: u64) -> String {
    format!("user {id}")
}

async fn user(Path(id): Path<u64>) -> String {
    load_user(id).await
}

/// What the handler saw: the baggage entry `tenant`.
async fn tenant() -> String {
    Context::map_current(|cx| {
        cx.baggage()
            .get("tenant")
            .map(|value| value.to_string())
            .unwrap_or_default()
    })
}

fn app() -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/fail", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/orders", post(|| async { StatusCode::BAD_REQUEST }))
        .route("/tenant", get(tenant))
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("the handler failed");
                }
            }),
        )
        .layer(TraceLayer::new().record_request_header("x-request-id"))
}

/// Sends `request` to the app inside a capture.
async fn send(request: Request<Body>) -> (Response<Body>, CapturedSpans) {
    propagators();
    let (response, spans) = capture_async(|| app().oneshot(request)).await;
    (response.unwrap(), spans)
}

async fn body_text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn one_server_span_named_after_the_route_template_with_the_http_attributes() {
    let request = Request::get("/users/42?token=abc&page=2")
        .header("host", "shop.example:8080")
        .header("user-agent", "test-agent/1.0")
        .header("x-request-id", "r-1")
        .header("authorization", "Bearer s3cret")
        .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
        .body(Body::empty())
        .unwrap();
    let (response, spans) = send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "user 42");

    let server = spans.named("GET /users/{id}");
    assert_eq!(server.span_kind, SpanKind::Server);
    assert!(
        spans.is_top_level(server),
        "no traceparent: the capture's child"
    );
    let expected: [(&str, Value); 11] = [
        ("http.request.method", "GET".into()),
        ("url.path", "/users/42".into()),
        ("url.query", "token=REDACTED&page=2".into()),
        ("url.scheme", "http".into()),
        ("http.route", "/users/{id}".into()),
        ("http.response.status_code", 200_i64.into()),
        ("server.address", "shop.example".into()),
        ("server.port", 8080_i64.into()),
        ("client.address", "203.0.113.7".into()),
        ("user_agent.original", "test-agent/1.0".into()),
        ("network.protocol.version", "1.1".into()),
    ];
    for (key, value) in expected {
        assert_eq!(server.attr(key), Some(&value), "{key} in {server:#?}");
    }
    assert_eq!(
        server.attr("http.request.header.x-request-id"),
        Some(&Value::Array(Array::String(vec!["r-1".into()])))
    );
    // Headers not allowed by name are never recorded.
    for kv in &server.attributes {
        assert!(!kv.key.as_str().contains("authorization"), "{kv:?}");
        assert!(!kv.value.as_str().contains("s3cret"), "{kv:?}");
    }
    assert_eq!(server.status, Status::Unset);
    assert_eq!(server.attr("error.type"), None);
}

#[tokio::test]
async fn a_traced_function_in_the_handler_is_a_child_of_the_server_span() {
    let (_, spans) = send(Request::get("/users/7").body(Body::empty()).unwrap()).await;
    let server = spans.named("GET /users/{id}");
    let load = spans.named("load_user");
    assert!(spans.is_child_of(load, server));
    assert_eq!(load.attr("id"), Some(&7_i64.into()));
    assert_eq!(spans.len(), 2, "{spans:?}");
}

#[tokio::test]
async fn status_is_error_for_a_5xx_only() {
    let (response, spans) = send(Request::get("/fail").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), 500);
    let server = spans.named("GET /fail");
    assert!(matches!(server.status, Status::Error { .. }), "{server:#?}");
    assert_eq!(server.attr("error.type"), Some(&"500".into()));
    assert_eq!(
        server.attr("http.response.status_code"),
        Some(&500_i64.into())
    );

    // A 4xx is the client's mistake: the server span stays Unset.
    let request = Request::post("/orders").body(Body::empty()).unwrap();
    let (response, spans) = send(request).await;
    assert_eq!(response.status(), 400);
    let server = spans.named("POST /orders");
    assert_eq!(server.status, Status::Unset);
    assert_eq!(server.attr("error.type"), None);
    assert_eq!(
        server.attr("http.response.status_code"),
        Some(&400_i64.into())
    );
}

#[tokio::test]
async fn without_a_route_the_name_is_the_method_alone_never_the_path() {
    let (response, spans) = send(Request::get("/nope/123").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), 404);
    let server = spans.named("GET");
    assert_eq!(server.attr("http.route"), None);
    assert_eq!(server.attr("url.path"), Some(&"/nope/123".into()));
    assert_eq!(server.status, Status::Unset);
}

#[tokio::test]
async fn the_callers_trace_is_continued_from_traceparent_with_its_baggage() {
    propagators();
    let caller = SpanId::from(0x00f0_67aa_0ba9_02b7);
    let (response, spans) = capture_async(|| {
        // The capture's trace, continued by a caller elsewhere.
        let trace_id = Context::map_current(|cx| cx.span().span_context().trace_id());
        let request = Request::get("/tenant")
            .header("traceparent", format!("00-{trace_id}-{caller}-01"))
            .header("baggage", "tenant=acme")
            .body(Body::empty())
            .unwrap();
        app().oneshot(request)
    })
    .await;
    assert_eq!(body_text(response.unwrap()).await, "acme");
    let server = spans.named("GET /tenant");
    assert_eq!(server.span_context.trace_id(), spans.trace_id());
    assert_eq!(server.parent_span_id, caller);
    assert!(server.parent_span_is_remote);
}

/// A tower service of our own, routed by what it put in the extensions,
/// with a method outside the standard ones.
#[tokio::test]
async fn any_tower_service_with_a_route_of_its_own_and_a_made_up_method() {
    #[derive(Clone)]
    struct Matched(&'static str);

    let service = tower::ServiceBuilder::new()
        .layer(TraceLayer::new().route_from(|extensions| extensions.get::<Matched>().map(|m| m.0)))
        .service_fn(|_request: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        });
    let mut request = Request::builder()
        .method("PURGE")
        .uri("/cache/k1")
        .body(Body::empty())
        .unwrap();
    request.extensions_mut().insert(Matched("/cache/{key}"));
    let (response, spans) = capture_async(|| service.oneshot(request)).await;
    assert_eq!(response.unwrap().status(), 200);
    let server = spans.named("HTTP /cache/{key}");
    assert_eq!(server.attr("http.request.method"), Some(&"_OTHER".into()));
    assert_eq!(
        server.attr("http.request.method_original"),
        Some(&"PURGE".into())
    );
    assert_eq!(server.attr("http.route"), Some(&"/cache/{key}".into()));
}

#[tokio::test]
async fn a_panicking_handler_ends_its_span_with_status_error() {
    propagators();
    let request = Request::get("/panic").body(Body::empty()).unwrap();
    // As tokio's task harness does: catch the panic, drop the future after.
    let (outcome, spans) =
        capture_async(|| AssertUnwindSafe(app().oneshot(request)).catch_unwind()).await;
    assert!(outcome.is_err(), "the panic went on unwinding");
    let server = spans.named("GET /panic");
    assert_eq!(
        server.status,
        Status::error("the handler failed"),
        "{server:#?}"
    );
    assert_eq!(server.attr("error.type"), Some(&"panic".into()));
    // The same exception event as a traced call's panic.
    assert_eq!(server.event_count("exception"), 1);
    assert_eq!(
        server.event_attr("exception", "exception.message"),
        Some(&"the handler failed".into())
    );
    let at = server.event_attr("exception", "exception.stacktrace");
    assert!(
        at.is_some_and(|at| at.as_str().contains("tests/http_server.rs")),
        "{at:?}"
    );
}
