//! The gRPC layers (`otel_runtime::grpc`): a real tonic server and client
//! over loopback, each call's two spans checked field by field, for the
//! four kinds of call, errors of each class, a deadline, a panic and a
//! stream the client stops reading.

#[path = "support/grpc.rs"]
mod service;

use std::time::Duration;

use futures::StreamExt as _;
use http::uri::PathAndQuery;
use otel_runtime::grpc::{ClientLayer, ClientService, ServerLayer};
use otel_runtime::opentelemetry::trace::{SpanKind, Status};
use otel_runtime::opentelemetry::{Value, global};
use otel_runtime::opentelemetry_sdk::trace::SpanData;
use otel_runtime::testing::{CapturedSpans, SpanDataExt as _, capture_async};
use service::Raw;
use tonic::transport::Channel;

/// What `init` installs: W3C trace context and baggage.
fn propagators() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        global::set_text_map_propagator(otel_runtime::propagation::default_propagator());
    });
}

type Client = tonic::client::Grpc<ClientService<Channel>>;

/// A server with the layer, and a client through the layer.
async fn client() -> (Client, u16) {
    propagators();
    let port = service::serve(ServerLayer::new(), service::Orders::default()).await;
    let authority = format!("127.0.0.1:{port}");
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{authority}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let channel = tower::ServiceBuilder::new()
        .layer(ClientLayer::new().server(&authority))
        .service(channel);
    (tonic::client::Grpc::new(channel), port)
}

async fn place(client: &mut Client, message: &str) -> Result<Vec<u8>, tonic::Status> {
    client.ready().await.unwrap();
    let request = tonic::Request::new(message.as_bytes().to_vec());
    let path = PathAndQuery::from_static("/shop.Orders/Place");
    Ok(client.unary(request, path, Raw).await?.into_inner())
}

/// The call's client and server spans, by kind.
fn sides<'a>(spans: &'a CapturedSpans, name: &str) -> (&'a SpanData, &'a SpanData) {
    let calls = spans.all_named(name);
    let kind = |kind: SpanKind| {
        *calls
            .iter()
            .find(|span| span.span_kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} span named {name} in {spans:?}"))
    };
    (kind(SpanKind::Client), kind(SpanKind::Server))
}

fn int(value: i64) -> Option<&'static Value> {
    // Leaked: a handful of values, for the assertions' shape.
    Some(Box::leak(Box::new(Value::I64(value))))
}

fn text(value: &str) -> Option<&'static Value> {
    Some(Box::leak(Box::new(Value::from(value.to_owned()))))
}

/// `rpc.message` events of `span` going `direction`.
fn messages(span: &SpanData, direction: &str) -> Vec<i64> {
    span.events
        .iter()
        .filter(|event| event.name == "rpc.message")
        .filter(|event| {
            event.attributes.iter().any(|kv| {
                kv.key.as_str() == "rpc.message.type"
                    && kv.value == Value::from(direction.to_owned())
            })
        })
        .filter_map(|event| {
            event
                .attributes
                .iter()
                .find_map(|kv| match (kv.key.as_str(), &kv.value) {
                    ("rpc.message.id", Value::I64(id)) => Some(*id),
                    _ => None,
                })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unary_call_is_a_client_span_and_a_server_span_with_the_handler_under_it() {
    let (mut client, port) = client().await;
    let (reply, spans) = capture_async(|| async { place(&mut client, "shoes").await }).await;
    assert_eq!(reply.unwrap(), b"placed 5");

    let (sent, served) = sides(&spans, "shop.Orders/Place");
    // The client span is the test's child; the server's, the client's.
    assert!(spans.is_top_level(sent), "{spans:?}");
    assert!(spans.is_child_of(served, sent), "{spans:?}");
    assert!(
        spans.is_child_of(spans.named("reserve"), served),
        "{spans:?}"
    );
    for span in [sent, served] {
        assert_eq!(span.attr("rpc.system"), text("grpc"));
        assert_eq!(span.attr("rpc.service"), text("shop.Orders"));
        assert_eq!(span.attr("rpc.method"), text("Place"));
        assert_eq!(span.attr("rpc.grpc.status_code"), int(0));
        assert_eq!(span.attr("server.address"), text("127.0.0.1"));
        assert_eq!(span.attr("server.port"), int(i64::from(port)));
        assert_eq!(span.attr("error.type"), None);
        assert_eq!(span.status, Status::Unset);
    }
    assert_eq!(served.attr("network.peer.address"), text("127.0.0.1"));
    assert!(served.attr("network.peer.port").is_some());
    assert_eq!(sent.attr("network.peer.address"), None);
    // One message each way, numbered from 1, with its size.
    assert_eq!(messages(sent, "SENT"), [1]);
    assert_eq!(messages(sent, "RECEIVED"), [1]);
    assert_eq!(messages(served, "RECEIVED"), [1]);
    assert_eq!(messages(served, "SENT"), [1]);
    assert_eq!(
        served.event_attr("rpc.message", "rpc.message.uncompressed_size"),
        int(5)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_is_an_error_on_the_client_always_and_on_the_server_by_the_conventions() {
    let (mut client, _) = client().await;
    let (result, spans) = capture_async(|| async { place(&mut client, "missing").await }).await;
    assert_eq!(result.unwrap_err().code(), tonic::Code::NotFound);
    let (sent, served) = sides(&spans, "shop.Orders/Place");
    // NOT_FOUND is the caller's mistake: an error for the client only.
    assert_eq!(sent.attr("rpc.grpc.status_code"), int(5));
    assert_eq!(sent.attr("error.type"), text("NOT_FOUND"));
    assert_eq!(sent.status, Status::error("no order №7"));
    assert_eq!(served.attr("rpc.grpc.status_code"), int(5));
    assert_eq!(served.attr("error.type"), None);
    assert_eq!(served.status, Status::Unset);
    // A trailers-only response: the client received no message.
    assert_eq!(messages(sent, "RECEIVED"), Vec::<i64>::new());

    let (result, spans) = capture_async(|| async { place(&mut client, "broken").await }).await;
    assert_eq!(result.unwrap_err().code(), tonic::Code::Internal);
    let (sent, served) = sides(&spans, "shop.Orders/Place");
    for span in [sent, served] {
        assert_eq!(span.attr("rpc.grpc.status_code"), int(13));
        assert_eq!(span.attr("error.type"), text("INTERNAL"));
        assert_eq!(span.status, Status::error("the database is down"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_method_is_unimplemented_on_both_sides() {
    let (mut client, _) = client().await;
    let (result, spans) = capture_async(|| async {
        client.ready().await.unwrap();
        let path = PathAndQuery::from_static("/shop.Orders/Refund");
        client
            .unary(tonic::Request::new(Vec::new()), path, Raw)
            .await
    })
    .await;
    assert_eq!(result.unwrap_err().code(), tonic::Code::Unimplemented);
    let (sent, served) = sides(&spans, "shop.Orders/Refund");
    for span in [sent, served] {
        assert_eq!(span.attr("rpc.method"), text("Refund"));
        assert_eq!(span.attr("rpc.grpc.status_code"), int(12));
        assert_eq!(span.attr("error.type"), text("UNIMPLEMENTED"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stream_is_one_span_on_each_side_counting_its_messages() {
    let (mut client, _) = client().await;
    let (items, spans) = capture_async(|| async {
        client.ready().await.unwrap();
        let path = PathAndQuery::from_static("/shop.Orders/List");
        let request = tonic::Request::new(b"3".to_vec());
        let mut stream = client
            .server_streaming(request, path, Raw)
            .await
            .unwrap()
            .into_inner();
        let mut items = Vec::new();
        while let Some(item) = stream.message().await.unwrap() {
            items.push(String::from_utf8(item).unwrap());
        }
        items
    })
    .await;
    assert_eq!(items, ["item 0", "item 1", "item 2"]);
    let (sent, served) = sides(&spans, "shop.Orders/List");
    assert_eq!(messages(sent, "SENT"), [1]);
    assert_eq!(messages(sent, "RECEIVED"), [1, 2, 3]);
    assert_eq!(messages(served, "RECEIVED"), [1]);
    assert_eq!(messages(served, "SENT"), [1, 2, 3]);
    for span in [sent, served] {
        assert_eq!(span.attr("rpc.grpc.status_code"), int(0));
        // The span covers the stream: its items come 10 ms apart.
        let took = span.end_time.duration_since(span.start_time).unwrap();
        assert!(took >= Duration::from_millis(20), "{took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_streams_and_both_way_streams_count_each_message() {
    let (mut client, _) = client().await;
    let (reply, spans) = capture_async(|| async {
        client.ready().await.unwrap();
        let path = PathAndQuery::from_static("/shop.Orders/Upload");
        let uploads = futures::stream::iter((0..4).map(|n| vec![n; 10]));
        client
            .client_streaming(tonic::Request::new(uploads), path, Raw)
            .await
    })
    .await;
    assert_eq!(reply.unwrap().into_inner(), b"4 received");
    let (sent, served) = sides(&spans, "shop.Orders/Upload");
    assert_eq!(messages(sent, "SENT"), [1, 2, 3, 4]);
    assert_eq!(messages(served, "RECEIVED"), [1, 2, 3, 4]);
    assert_eq!(messages(served, "SENT"), [1]);

    let (echoes, spans) = capture_async(|| async {
        client.ready().await.unwrap();
        let path = PathAndQuery::from_static("/shop.Orders/Chat");
        let said = futures::stream::iter([b"hi".to_vec(), b"bye".to_vec()]);
        let stream = client
            .streaming(tonic::Request::new(said), path, Raw)
            .await
            .unwrap();
        stream
            .into_inner()
            .map(|echo| echo.unwrap())
            .collect::<Vec<_>>()
            .await
    })
    .await;
    assert_eq!(echoes, [b"hi!".to_vec(), b"bye!".to_vec()]);
    let (sent, served) = sides(&spans, "shop.Orders/Chat");
    assert_eq!(messages(sent, "SENT"), [1, 2]);
    assert_eq!(messages(sent, "RECEIVED"), [1, 2]);
    assert_eq!(messages(served, "RECEIVED"), [1, 2]);
    assert_eq!(messages(served, "SENT"), [1, 2]);
    assert_eq!(served.attr("rpc.grpc.status_code"), int(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deadline_ends_both_spans_at_the_deadline() {
    let (mut client, _) = client().await;
    let (result, spans) = capture_async(|| async {
        client.ready().await.unwrap();
        let mut request = tonic::Request::new(b"slow".to_vec());
        request.set_timeout(Duration::from_millis(100));
        let path = PathAndQuery::from_static("/shop.Orders/Place");
        let result = client.unary(request, path, Raw).await;
        // For the server's span to end.
        tokio::time::sleep(Duration::from_millis(200)).await;
        result
    })
    .await;
    // tonic's server answers an expired `grpc-timeout` with CANCELLED
    // ("Timeout expired"), and that is what both sides record.
    let status = result.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Cancelled, "{status:?}");
    let (sent, served) = sides(&spans, "shop.Orders/Place");
    assert_eq!(sent.attr("rpc.grpc.status_code"), int(1));
    assert_eq!(sent.attr("error.type"), text("CANCELLED"));
    assert_eq!(sent.status, Status::error(status.message().to_owned()));
    // The server's span ends at the deadline, not when the handler would
    // have finished.
    let took = served.end_time.duration_since(served.start_time).unwrap();
    assert!(took < Duration::from_secs(1), "{took:?}");
    eprintln!("server: {:?} {:?}", served.attributes, served.status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_panic_is_an_error_on_both_sides() {
    let (mut client, _) = client().await;
    let (result, spans) = capture_async(|| async {
        let result = place(&mut client, "panic").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        result
    })
    .await;
    let status = result.unwrap_err();
    let (sent, served) = sides(&spans, "shop.Orders/Place");
    assert_eq!(served.attr("error.type"), text("panic"));
    assert_eq!(
        served.event_attr("exception", "exception.message"),
        text("the handler failed")
    );
    assert!(matches!(served.status, Status::Error { .. }));
    assert!(matches!(sent.status, Status::Error { .. }), "{status:?}");
    eprintln!(
        "client: {:?} {:?} ({status:?})",
        sent.attributes, sent.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_the_client_stops_reading_is_cancelled() {
    let (mut client, _) = client().await;
    let (first, spans) = capture_async(|| async {
        client.ready().await.unwrap();
        let path = PathAndQuery::from_static("/shop.Orders/List");
        let request = tonic::Request::new(b"1000".to_vec());
        let mut stream = client
            .server_streaming(request, path, Raw)
            .await
            .unwrap()
            .into_inner();
        let first = stream.message().await.unwrap();
        drop(stream);
        // For the server to see the stream reset.
        tokio::time::sleep(Duration::from_millis(300)).await;
        first
    })
    .await;
    assert_eq!(first.unwrap(), b"item 0");
    let (sent, served) = sides(&spans, "shop.Orders/List");
    // Cancelled: an error for the client, not for the server.
    assert_eq!(sent.attr("rpc.grpc.status_code"), int(1));
    assert_eq!(sent.attr("error.type"), text("CANCELLED"));
    assert_eq!(served.attr("rpc.grpc.status_code"), int(1));
    assert_eq!(served.status, Status::Unset);
    assert!(messages(served, "SENT").len() < 1000);
}
