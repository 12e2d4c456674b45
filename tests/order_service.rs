//! The examples' order service and warehouse (`examples/order_service.rs`),
//! run on loopback: a valid order makes one trace across both services, an
//! invalid one a 400 that stops at validation.

#[allow(dead_code)]
#[path = "../examples/order_service.rs"]
mod order_service;

use std::net::SocketAddr;

use order_service::Order;
use otel_runtime::opentelemetry::global;
use otel_runtime::opentelemetry::trace::{SpanKind, Status};
use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
use otel_runtime::testing::{CapturedSpans, SpanDataExt as _, capture_async};

/// Both services, started once for the test binary on a runtime of their
/// own (each test's runtime ends with the test).
fn order_service_address() -> SocketAddr {
    static ADDRESS: std::sync::OnceLock<SocketAddr> = std::sync::OnceLock::new();
    *ADDRESS.get_or_init(|| {
        global::set_text_map_propagator(TraceContextPropagator::new());
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let warehouse =
                    order_service::start(order_service::warehouse_service(), "127.0.0.1:0")
                        .await
                        .unwrap();
                let orders = order_service::order_service(format!("http://{warehouse}"));
                let orders = order_service::start(orders, "127.0.0.1:0").await.unwrap();
                sender.send(orders).unwrap();
                std::future::pending::<()>().await;
            });
        });
        receiver.recv().unwrap()
    })
}

async fn place(order: Order) -> (u16, serde_json::Value, CapturedSpans) {
    let url = format!("http://{}/order", order_service_address());
    let client = order_service::traced_client();
    let (reply, spans) = capture_async(|| async {
        let response = client.post(&url).json(&order).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    })
    .await;
    (reply.0, reply.1, spans)
}

#[tokio::test]
async fn a_valid_order_is_one_trace_across_both_services() {
    let (status, body, spans) = place(Order { id: 42, items: 2 }).await;
    assert_eq!(status, 201);
    assert_eq!(body["order_id"], 1042);

    let request = spans.all_named("POST");
    assert_eq!(request.len(), 2, "{spans:?}");
    let to_orders = request
        .iter()
        .find(|span| spans.is_top_level(span))
        .expect("the test's own request");
    let server = spans.named("POST /order");
    assert!(spans.is_child_of(server, to_orders));
    let steps = ["validate_order", "save_to_database", "notify_warehouse"];
    for step in steps {
        assert!(spans.is_child_of(spans.named(step), server), "{step}");
    }
    let notify = spans.named("notify_warehouse");
    assert_eq!(notify.attr("response_status"), Some(&202_i64.into()));
    let to_warehouse = request
        .iter()
        .find(|span| spans.is_child_of(span, notify))
        .expect("the call to the warehouse");
    assert_eq!(to_warehouse.span_kind, SpanKind::Client);
    let warehouse = spans.named("POST /orders");
    assert!(spans.is_child_of(warehouse, to_warehouse));
    assert!(spans.is_child_of(spans.named("reserve_stock"), warehouse));
    assert_eq!(spans.len(), 8, "{spans:?}");
}

#[tokio::test]
async fn an_invalid_order_is_a_400_that_stops_at_validation() {
    let (status, body, spans) = place(Order { id: 43, items: 0 }).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Invalid order");
    let server = spans.named("POST /order");
    assert_eq!(
        server.attr("http.response.status_code"),
        Some(&400_i64.into())
    );
    // A 4xx is the client's mistake: the server span is not an error.
    assert_eq!(server.status, Status::Unset);
    assert_eq!(
        spans.named("validate_order").attr("valid"),
        Some(&false.into())
    );
    assert!(spans.find("save_to_database").is_none());
    assert!(spans.find("notify_warehouse").is_none());
}
