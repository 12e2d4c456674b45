//! The client middleware (`otel_runtime::http::client::TraceMiddleware`):
//! one span of kind Client per request, with the HTTP semantic-convention
//! attributes, a redacted `url.full`, status Error for 4xx, 5xx and
//! transport errors, and the trace context sent along. Against a small
//! axum server on 127.0.0.1, itself behind the server layer.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use otel_runtime::http::client::TraceMiddleware;
use otel_runtime::http::server::TraceLayer;
use otel_runtime::opentelemetry::baggage::BaggageExt as _;
use otel_runtime::opentelemetry::trace::{SpanKind, Status};
use otel_runtime::opentelemetry::{Context, KeyValue, Value, global};
use otel_runtime::testing::{SpanDataExt as _, capture_async};
use otel_runtime::traced;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

/// What `init` installs: W3C trace context and baggage.
fn propagators() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        global::set_text_map_propagator(otel_runtime::propagation::default_propagator());
    });
}

/// Answers `/status/{code}` with that status, and a body telling the
/// `traceparent` and `baggage` headers it received.
async fn status(Path(code): Path<u16>, headers: HeaderMap) -> (StatusCode, String) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    (
        StatusCode::from_u16(code).unwrap(),
        format!("{}|{}", header("traceparent"), header("baggage")),
    )
}

/// The server, on a thread of its own for the whole test binary (each
/// `#[tokio::test]` has a runtime of its own, which ends with the test).
fn server() -> SocketAddr {
    static ADDRESS: OnceLock<SocketAddr> = OnceLock::new();
    *ADDRESS.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = Router::new()
                    .route("/status/{code}", get(status))
                    .layer(TraceLayer::new());
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await
                .unwrap();
            });
        });
        address
    })
}

fn client(middleware: TraceMiddleware) -> ClientWithMiddleware {
    propagators();
    ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .build()
}

#[tokio::test]
async fn one_client_span_per_request_and_the_callee_receives_its_traceparent() {
    let port = server().port();
    let client = client(
        TraceMiddleware::new()
            .record_request_header("x-request-id")
            .record_response_header("content-type"),
    );
    let url = format!("http://127.0.0.1:{port}/status/200");
    let (body, spans) = capture_async(|| async {
        let response = client
            .get(&url)
            .header("x-request-id", "r-9")
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    })
    .await;

    let span = spans.named("GET");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert!(spans.is_top_level(span));
    let expected: [(&str, Value); 6] = [
        ("http.request.method", "GET".into()),
        ("url.full", url.clone().into()),
        ("server.address", "127.0.0.1".into()),
        ("server.port", i64::from(port).into()),
        ("http.response.status_code", 200_i64.into()),
        ("network.protocol.version", "1.1".into()),
    ];
    for (key, value) in expected {
        assert_eq!(span.attr(key), Some(&value), "{key} in {span:#?}");
    }
    assert_eq!(
        span.attr("http.request.header.x-request-id")
            .map(Value::as_str),
        Some("[\"r-9\"]".into())
    );
    assert!(
        span.attr("http.response.header.content-type")
            .is_some_and(|value| value.as_str().contains("text/plain")),
        "{span:#?}"
    );
    assert_eq!(span.status, Status::Unset);

    // The server received this span as its parent.
    let (traceparent, _) = body.split_once('|').unwrap();
    assert_eq!(
        traceparent,
        format!(
            "00-{}-{}-01",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    );
}

#[tokio::test]
async fn credentials_and_secret_query_values_are_redacted_from_url_full() {
    let port = server().port();
    let client = client(TraceMiddleware::new().redact_query_key("session"));
    let query = "sig=abc&q=rust&api_key=k3y&Session=s";
    let redacted = "sig=REDACTED&q=rust&api_key=REDACTED&Session=REDACTED";
    // reqwest's builder moves `user:password` into an `Authorization`
    // header (never recorded); a request made whole keeps them in its URL.
    let url = format!("http://alice:hunter2@127.0.0.1:{port}/status/200?{query}");
    let (_, built) = capture_async(|| client.get(&url).send()).await;
    let request = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
    let (_, whole) = capture_async(|| client.execute(request)).await;
    let expected = [
        (
            built,
            format!("http://127.0.0.1:{port}/status/200?{redacted}"),
        ),
        (
            whole,
            format!("http://REDACTED:REDACTED@127.0.0.1:{port}/status/200?{redacted}"),
        ),
    ];
    for (spans, url_full) in expected {
        let span = spans.named("GET");
        assert_eq!(span.attr("url.full"), Some(&url_full.into()));
        for kv in &span.attributes {
            let value = kv.value.as_str();
            for secret in ["hunter2", "alice", "abc", "k3y"] {
                assert!(!value.contains(secret), "{secret} in {kv:?}");
            }
        }
    }
}

#[tokio::test]
async fn status_is_error_for_a_4xx_and_a_5xx() {
    let port = server().port();
    let client = client(TraceMiddleware::new());
    for code in [404_u16, 500] {
        let url = format!("http://127.0.0.1:{port}/status/{code}");
        let (response, spans) = capture_async(|| client.get(&url).send()).await;
        assert_eq!(response.unwrap().status().as_u16(), code);
        let span = spans.named("GET");
        assert!(matches!(span.status, Status::Error { .. }), "{span:#?}");
        assert_eq!(span.attr("error.type"), Some(&code.to_string().into()));
        assert_eq!(
            span.attr("http.response.status_code"),
            Some(&i64::from(code).into())
        );
    }
    let url = format!("http://127.0.0.1:{port}/status/204");
    let (_, spans) = capture_async(|| client.get(&url).send()).await;
    assert_eq!(spans.named("GET").status, Status::Unset);
}

#[tokio::test]
async fn a_refused_connection_is_an_error_of_type_connect_without_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = client(TraceMiddleware::new());
    let url = format!("http://127.0.0.1:{port}/orders?token=t0ps3cret");
    let (result, spans) = capture_async(|| client.post(&url).send()).await;
    assert!(result.is_err());
    let span = spans.named("POST");
    assert_eq!(span.attr("error.type"), Some(&"connect".into()));
    assert_eq!(span.attr("http.response.status_code"), None);
    let Status::Error { description } = &span.status else {
        panic!("{span:#?}");
    };
    assert!(description.starts_with("connect: "), "{description}");
    assert!(description.contains("refused"), "{description}");
    assert!(!description.contains("t0ps3cret"), "{description}");
    assert_eq!(
        span.attr("url.full"),
        Some(&format!("http://127.0.0.1:{port}/orders?token=REDACTED").into())
    );
}

#[traced]
async fn notify_warehouse(client: &ClientWithMiddleware, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// A `#[traced]` caller, the client span inside it, and the server span of
/// the same process: one trace, each the parent of the next, with the
/// baggage sent along.
#[tokio::test]
async fn client_and_server_make_one_trace_with_the_baggage_sent_along() {
    let port = server().port();
    let client = client(TraceMiddleware::new());
    let url = format!("http://127.0.0.1:{port}/status/201");
    let (body, spans) = capture_async(|| {
        let cx = Context::current().with_baggage([KeyValue::new("tenant", "acme")]);
        let _attached = cx.attach();
        notify_warehouse(&client, &url)
    })
    .await;
    let (_, baggage) = body.split_once('|').unwrap();
    assert_eq!(baggage, "tenant=acme");

    let caller = spans.named("notify_warehouse");
    let request = spans.named("GET");
    let server = spans.named("GET /status/{code}");
    assert!(spans.is_top_level(caller));
    assert!(spans.is_child_of(request, caller));
    assert!(spans.is_child_of(server, request));
    assert!(server.parent_span_is_remote);
    assert_eq!(server.span_kind, SpanKind::Server);
    // The peer, from axum's `ConnectInfo`.
    assert_eq!(server.attr("client.address"), Some(&"127.0.0.1".into()));
    assert_eq!(
        server.attr("network.peer.address"),
        Some(&"127.0.0.1".into())
    );
    assert!(server.attr("network.peer.port").is_some(), "{server:#?}");
    assert_eq!(
        server.attr("server.port"),
        Some(&i64::from(port).into()),
        "from the Host header"
    );
}
