//! The tutorial's order service, in Rust: `POST /order` validates the
//! order, saves it and notifies the warehouse over HTTP, each step a span.
//! The request is a server span (`POST /order`), the call to the warehouse
//! a client span (`POST`), and the warehouse, another service, continues
//! the trace from the request's `traceparent` header. The handler logs
//! through both `tracing` and `log`: each record is a log record of the
//! span it was written in, with its trace ID and span ID.
//!
//! Run it with `cargo run --example order_service`: it serves the order
//! service on 127.0.0.1:3000 (and the warehouse on a free port), and prints
//! each request's trace. Then, from another terminal:
//!
//! ```text
//! curl -i localhost:3000/order -H 'content-type: application/json' -d '{"id": 42, "items": 2}'
//! curl -i localhost:3000/order -H 'content-type: application/json' -d '{"id": 43, "items": 0}'   # 400
//! ```
//!
//! Ctrl-C stops it. `cargo run --example distributed` runs both services,
//! sends one order itself, and prints the trace across both.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use otel_runtime::http::client::TraceMiddleware;
use otel_runtime::http::server::TraceLayer;
use otel_runtime::traced;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde::{Deserialize, Serialize};

/// What a customer orders.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Order {
    pub id: u64,
    pub items: u32,
}

/// The order service's state: where the warehouse is, and a traced client.
#[derive(Clone)]
struct Shop {
    warehouse: String,
    client: ClientWithMiddleware,
}

/// The order service: `POST /order`, calling the warehouse at
/// `warehouse` (`http://host:port`).
pub fn order_service(warehouse: String) -> Router {
    Router::new()
        .route("/order", post(create_order))
        .with_state(Shop {
            warehouse,
            client: traced_client(),
        })
        // `Router::layer`: one server span per request, named after the
        // route template.
        .layer(TraceLayer::new())
}

/// The warehouse: `POST /orders`, another service.
pub fn warehouse_service() -> Router {
    Router::new()
        .route("/orders", post(receive_order))
        .layer(TraceLayer::new())
}

/// A reqwest client whose requests are client spans, carrying the trace
/// context to the service they call.
pub fn traced_client() -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new())
        .with(TraceMiddleware::new())
        .build()
}

/// Serves `app` on `address` in the background; returns where it listens.
pub async fn start(app: Router, address: &str) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    // With the peer's address, for `client.address`.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(local)
}

/// The tutorial's handler: a 400 for an invalid order, else saved, the
/// warehouse told, and a 201.
async fn create_order(
    State(shop): State<Shop>,
    Json(order): Json<Order>,
) -> (StatusCode, Json<serde_json::Value>) {
    tracing::info!(order_id = order.id, items = order.items, "order received");
    if !validate_order(&order) {
        let error = serde_json::json!({ "error": "Invalid order" });
        return (StatusCode::BAD_REQUEST, Json(error));
    }
    let saved_id = save_to_database(&order).await;
    match notify_warehouse(&shop, &order).await {
        Ok(_) => {
            let created = serde_json::json!({ "order_id": saved_id, "status": "created" });
            (StatusCode::CREATED, Json(created))
        }
        Err(error) => {
            let error = serde_json::json!({ "error": error.to_string() });
            (StatusCode::BAD_GATEWAY, Json(error))
        }
    }
}

#[traced(skip(order), fields(order_id = order.id))]
fn validate_order(order: &Order) -> bool {
    let valid = order.items > 0;
    otel_runtime::set_attribute("valid", valid);
    if !valid {
        log::warn!("order {} rejected: no items", order.id);
    }
    valid
}

#[traced(skip(order), fields(order_id = order.id, db.system = "postgresql"))]
async fn save_to_database(order: &Order) -> u64 {
    tokio::time::sleep(Duration::from_millis(20)).await;
    let saved_id = 1000 + order.id;
    otel_runtime::set_attribute("saved_id", saved_id);
    tracing::info!(order_id = order.id, saved_id, "order saved");
    saved_id
}

#[traced(skip_all, fields(order_id = order.id))]
async fn notify_warehouse(shop: &Shop, order: &Order) -> Result<u16, reqwest_middleware::Error> {
    let url = format!("{}/orders", shop.warehouse);
    let response = shop.client.post(url).json(order).send().await?;
    let status = response.status().as_u16();
    otel_runtime::set_attribute("response_status", status);
    log::info!("warehouse answered {status} for order {}", order.id);
    Ok(status)
}

/// The warehouse's handler.
async fn receive_order(Json(order): Json<Order>) -> StatusCode {
    reserve_stock(order.items).await;
    StatusCode::ACCEPTED
}

#[traced]
async fn reserve_stock(items: u32) {
    tokio::time::sleep(Duration::from_millis(10 * u64::from(items))).await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = otel_runtime::builder()
        .service_name("order-service")
        .init()?;
    let warehouse = start(warehouse_service(), "127.0.0.1:0").await?;
    let orders = start(
        order_service(format!("http://{warehouse}")),
        "127.0.0.1:3000",
    )
    .await?;
    println!("order service on http://{orders}, warehouse on http://{warehouse}; Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
