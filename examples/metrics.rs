//! Metrics next to the traces, as the tutorial uses them: a counter of
//! orders and a histogram of their amounts, made through the standard API
//! (`opentelemetry::global::meter`, re-exported by `otel-runtime`), recorded
//! inside a traced function.
//!
//! Run it with `cargo run --example metrics`: each trace prints as it ends,
//! and the last reading of every instrument prints as a table when the
//! guard drops. With `OTEL_EXPORTER_OTLP_ENDPOINT` set, both go to the
//! collector instead.

use otel_runtime::opentelemetry::metrics::{Counter, Histogram};
use otel_runtime::opentelemetry::{KeyValue, global};
use otel_runtime::traced;

/// The shop's instruments, made once.
struct Instruments {
    orders: Counter<u64>,
    amounts: Histogram<f64>,
}

impl Instruments {
    fn new() -> Self {
        let meter = global::meter("shop");
        Instruments {
            orders: meter
                .u64_counter("shop.orders")
                .with_description("Orders placed, by country")
                .build(),
            amounts: meter
                .f64_histogram("shop.order.amount")
                .with_unit("USD")
                .with_description("Amount of each order")
                .with_boundaries(vec![10.0, 25.0, 50.0, 100.0, 250.0])
                .build(),
        }
    }
}

#[traced(skip(instruments))]
fn place_order(instruments: &Instruments, country: &str, amount: f64) -> Result<(), String> {
    if amount <= 0.0 {
        return Err(format!("no order of {amount}"));
    }
    let attributes = [KeyValue::new("country", country.to_owned())];
    instruments.orders.add(1, &attributes);
    instruments.amounts.record(amount, &attributes);
    Ok(())
}

pub fn main() -> Result<(), otel_runtime::InitError> {
    let _guard = otel_runtime::init()?;
    // After `init`: instruments made before it would record nowhere.
    let instruments = Instruments::new();
    for (country, amount) in [("fr", 32.5), ("fr", 12.0), ("de", 99.9), ("de", 0.0)] {
        if let Err(error) = place_order(&instruments, country, amount) {
            eprintln!("{error}");
        }
    }
    Ok(())
}
