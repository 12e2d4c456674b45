//! The tutorial's first trace: `process_payment` with a database query and a
//! payment call nested inside, printed as a tree.
//!
//! Run it with `cargo run --example quickstart`.
//!
//! `otel_runtime` sends spans to whatever provider is installed globally.
//! Here the example installs an SDK provider that keeps finished spans in
//! memory, and prints them when the work is done.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanProcessor};
use otel_runtime::opentelemetry::trace::{SpanId, Status};
use otel_runtime::opentelemetry::{Context, global};
use otel_runtime::traced;

#[traced]
fn process_payment(user_id: u64, amount: f64) -> Result<String, PaymentError> {
    let orders = db_query("SELECT * FROM orders")?;
    let charge = stripe_charge(amount, "2023-10-16")?;
    otel_runtime::set_attribute("orders", orders.len());
    Ok(format!("{charge} for user {user_id}"))
}

#[traced]
fn db_query(query: &str) -> Result<Vec<u32>, PaymentError> {
    std::thread::sleep(Duration::from_millis(30));
    let rows = vec![1, 2, 3];
    otel_runtime::set_attribute("rows_returned", rows.len());
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
enum PaymentError {
    Declined,
}

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the card was declined")
    }
}

impl std::error::Error for PaymentError {}

fn main() {
    let finished = Finished::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(finished.clone())
        .build();
    global::set_tracer_provider(provider.clone());

    println!("{:?}", process_payment(42, 99.99));
    println!("{:?}", process_payment(7, 5000.0));

    provider.shutdown().expect("the provider shuts down");
    print_trees(&finished.0.lock().unwrap());
}

/// Keeps every finished span.
#[derive(Clone, Debug, Default)]
struct Finished(Arc<Mutex<Vec<SpanData>>>);

impl SpanProcessor for Finished {
    fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &Context) {}
    fn on_end(&self, span: SpanData) {
        self.0.lock().unwrap().push(span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fn print_trees(spans: &[SpanData]) {
    for root in spans.iter().filter(|s| s.parent_span_id == SpanId::INVALID) {
        println!("\ntrace {}", root.span_context.trace_id());
        print_span(spans, root, root, 0);
    }
}

fn print_span(spans: &[SpanData], root: &SpanData, span: &SpanData, depth: usize) {
    let offset = span
        .start_time
        .duration_since(root.start_time)
        .unwrap_or_default();
    let end = span
        .end_time
        .duration_since(root.start_time)
        .unwrap_or_default();
    let status = match &span.status {
        Status::Error { description } => format!("  ERROR: {description}"),
        _ => String::new(),
    };
    println!(
        "{:indent$}{} [{}ms - {}ms]{status}",
        "",
        span.name,
        offset.as_millis(),
        end.as_millis(),
        indent = depth * 2
    );
    for kv in &span.attributes {
        if !kv.key.as_str().starts_with("code.") {
            println!(
                "{:indent$}  {} = {}",
                "",
                kv.key,
                kv.value,
                indent = depth * 2
            );
        }
    }
    let mut children: Vec<_> = spans
        .iter()
        .filter(|s| s.parent_span_id == span.span_context.span_id())
        .collect();
    children.sort_by_key(|s| s.start_time);
    for child in children {
        print_span(spans, root, child, depth + 1);
    }
}
