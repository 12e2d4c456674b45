//! A `Debug` or `Display` implementation that panics while its value is
//! recorded does not change what the traced call does: it returns as it
//! would untraced, and the value is recorded as `<formatting panicked>`.

mod support;

use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::testing::{SpanDataExt as _, capture};
use otel_runtime::traced;
use support::Explodes;

#[traced]
fn takes(value: Explodes, n: u32) -> u32 {
    let _ = value;
    n + 1
}

#[traced]
fn fails(n: u32) -> Result<u32, Explodes> {
    if n > 0 { Err(Explodes) } else { Ok(n) }
}

const PANICKED: &str = "<formatting panicked>";

#[test]
fn a_panicking_debug_argument_is_recorded_as_such() {
    let (returned, spans) = capture(|| takes(Explodes, 1));
    assert_eq!(returned, 2);
    let span = spans.named("takes");
    assert_eq!(span.attr("value"), Some(&Value::from(PANICKED)));
    assert_eq!(span.attr("n"), Some(&Value::I64(1)));
}

#[test]
fn a_panicking_error_is_still_an_error() {
    let (returned, spans) = capture(|| fails(1));
    assert!(returned.is_err());
    let span = spans.named("fails");
    assert_eq!(
        span.status,
        Status::Error {
            description: PANICKED.into()
        }
    );
    assert_eq!(
        span.event_attr("exception", "exception.message"),
        Some(&Value::from(PANICKED))
    );
}
