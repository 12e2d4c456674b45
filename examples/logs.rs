//! Logs and a library's `tracing` span in the tree of traced calls: a `log`
//! record, `tracing` events, and the span of an `#[instrument]` function
//! standing for a library (tower-http, sqlx, a client crate), each under
//! the traced call it happened in.
//!
//! Run it with `cargo run --example logs` (the `tracing` and `log`
//! features of `otel-runtime`); `RUST_LOG=debug` shows the debug lines
//! too.

use otel_runtime::traced;

/// What an instrumented library looks like from the outside.
mod library {
    #[tracing::instrument(skip(sql))]
    pub fn query(sql: &str, order_id: i64) -> Vec<u32> {
        tracing::debug!(sql, "running the query");
        vec![1, 2, 3]
    }
}

#[traced]
fn handle_order(order_id: i64) -> Result<usize, String> {
    log::info!("order {order_id} received");
    let items = library::query("SELECT * FROM items WHERE order_id = ?", order_id);
    tracing::info!(items = items.len(), "items loaded");
    if order_id > 1000 {
        tracing::error!(order_id, "no such order");
        return Err(format!("order {order_id} not found"));
    }
    Ok(items.len())
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = otel_runtime::init()?;
    // Outside any span: not part of a trace.
    log::info!("starting");
    println!("{:?}", handle_order(42));
    println!("{:?}", handle_order(4242));
    Ok(())
}
