//! The tutorial's first trace: `process_payment` with a database query and a
//! payment call nested inside.
//!
//! Run it with `cargo run --example quickstart`. With no collector
//! configured, each finished trace is printed as a waterfall tree; set
//! `OTEL_TRACES_EXPORTER=none` to print nothing.

use std::time::Duration;

use otel_runtime::traced;

#[traced]
pub fn process_payment(user_id: u64, amount: f64) -> Result<String, PaymentError> {
    let orders = db_query("SELECT * FROM orders")?; // a child span
    let charge = stripe_charge(amount, "2023-10-16")?; // another child span
    otel_runtime::set_attribute("orders", orders.len());
    Ok(format!("{charge} for user {user_id}"))
}

#[traced]
fn db_query(query: &str) -> Result<Vec<u32>, PaymentError> {
    std::thread::sleep(Duration::from_millis(30));
    let rows = vec![1, 2, 3];
    otel_runtime::set_attribute("rows_returned", rows.len());
    // With the `log` feature, a log line lands in this span, in the tree.
    log::info!("{} rows for {query}", rows.len());
    Ok(rows)
}

#[traced(kind = "client", fields(api_version))]
fn stripe_charge(amount: f64, api_version: &str) -> Result<String, PaymentError> {
    std::thread::sleep(Duration::from_millis(100));
    if amount > 1000.0 {
        return Err(PaymentError::Declined);
    }
    Ok("ch_42".to_owned())
}

#[derive(Debug)]
pub enum PaymentError {
    Declined,
}

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the card was declined")
    }
}

impl std::error::Error for PaymentError {}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One line of set-up; dropping the guard at the end of `main` prints
    // (or exports) every finished span.
    let _guard = otel_runtime::init()?;

    println!("{:?}", process_payment(42, 99.99));
    println!("{:?}", process_payment(7, 5000.0));
    Ok(())
}
