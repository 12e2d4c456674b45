//! The tutorial's "Trace ID" picture: one request crossing two services,
//! seen as one trace. Starts the order service and the warehouse
//! (`order_service.rs`) on loopback, sends one order, and prints the
//! unified trace:
//!
//! ```text
//! place_order
//! └─ POST                        the client span; its traceparent goes along
//!    └─ POST /order              the order service continues the trace
//!       ├─ validate_order
//!       ├─ save_to_database
//!       └─ notify_warehouse
//!          └─ POST               the call to the warehouse
//!             └─ POST /orders    the warehouse continues it too
//!                └─ reserve_stock
//! ```
//!
//! Run it with `cargo run --example distributed`. Both services run in this
//! process, so the trace comes back into it through their servers: the
//! console prints it once, when the last of its local roots ends
//! (`place_order`, which waits for the whole request), as the README's
//! Quick start says; with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans go
//! to your collector instead.

// The services, and the `main` that runs them alone (unused here).
#[allow(dead_code)]
#[path = "order_service.rs"]
mod order_service;

use order_service::Order;
use otel_runtime::traced;
use reqwest_middleware::ClientWithMiddleware;

#[traced(skip(client, order), fields(order_id = order.id))]
async fn place_order(
    client: &ClientWithMiddleware,
    url: &str,
    order: Order,
) -> Result<String, reqwest_middleware::Error> {
    let response = client.post(url).json(&order).send().await?;
    Ok(format!("{} {}", response.status(), response.text().await?))
}

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = otel_runtime::builder().service_name("shop").init()?;
    let warehouse = order_service::start(order_service::warehouse_service(), "127.0.0.1:0").await?;
    let orders = order_service::order_service(format!("http://{warehouse}"));
    let orders = order_service::start(orders, "127.0.0.1:0").await?;

    let client = order_service::traced_client();
    let order = Order { id: 42, items: 2 };
    let reply = place_order(&client, &format!("http://{orders}/order"), order).await?;
    println!("order service answered: {reply}\n");
    // Dropping the guard prints the trace.
    Ok(())
}
