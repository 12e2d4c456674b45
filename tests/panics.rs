//! A panic marks the span, ends it, and keeps unwinding unchanged.

use std::panic::{AssertUnwindSafe, catch_unwind};

use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::testing::{SpanDataExt, capture, capture_async};
use otel_runtime::traced;

#[traced]
fn explode(code: u32) -> u32 {
    if code > 0 {
        panic!("boom {code}");
    }
    code
}

fn event_value(span: &otel_runtime::testing::Span, key: &str) -> Option<Value> {
    span.event_attr("exception", key).cloned()
}

#[test]
fn a_panic_records_an_exception_and_keeps_unwinding() {
    let (outcome, spans) = capture(|| catch_unwind(|| explode(3)));
    let payload = outcome.expect_err("the panic reaches the caller");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom 3")
    );

    let span = spans.named("explode");
    assert_eq!(span.status, Status::error("boom 3"));
    assert_eq!(span.attr("error.type"), Some(&Value::from("panic")));
    assert_eq!(
        event_value(span, "exception.message"),
        Some(Value::from("boom 3"))
    );
    let location = event_value(span, "exception.stacktrace")
        .expect("a location")
        .to_string();
    assert!(location.starts_with("at tests/panics.rs:13:"), "{location}");
}

#[test]
fn a_call_that_does_not_panic_has_no_exception() {
    let (_, spans) = capture(|| explode(0));
    assert_eq!(spans.named("explode").status, Status::Unset);
}

#[traced]
async fn explode_later(code: u32) -> u32 {
    tokio::task::yield_now().await;
    if code > 0 {
        panic!("async boom");
    }
    code
}

#[tokio::test]
async fn a_panic_in_a_future_is_recorded_even_when_the_executor_catches_it() {
    let (joined, spans) = capture_async(|| async { tokio::spawn(explode_later(1)).await }).await;
    assert!(joined.unwrap_err().is_panic());
    let span = spans.named("explode_later");
    assert_eq!(span.status, Status::error("async boom"));
    assert_eq!(span.attr("code.cancelled"), None);
}

struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // A traced call made while another panic unwinds is not marked.
        explode(0);
    }
}

#[test]
fn a_call_made_during_unwinding_is_not_blamed_for_the_panic() {
    let (_, spans) = capture(|| {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let _guard = PanicsOnDrop;
            panic!("first");
        }));
    });
    assert_eq!(spans.named("explode").status, Status::Unset);
}
