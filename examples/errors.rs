//! The tutorial's `risky_operation`: an `Err` and a panic, both visible in
//! the trace.
//!
//! Run it with `cargo run --example errors`.

use otel_runtime::traced;

#[derive(Debug)]
enum RiskError {
    Timeout { after_ms: u64 },
}

impl std::fmt::Display for RiskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RiskError::Timeout { after_ms } => {
                write!(f, "the upstream timed out after {after_ms}ms")
            }
        }
    }
}

impl std::error::Error for RiskError {}

/// Fails with an `Err`: status Error, `error.type`, an `exception` event.
#[traced]
fn risky_operation(attempt: u32) -> Result<u32, RiskError> {
    if attempt < 2 {
        return Err(RiskError::Timeout { after_ms: 250 });
    }
    Ok(attempt)
}

/// Panics: the span records the panic's message and place, and the panic
/// goes on unwinding.
#[traced]
fn parse_config(text: &str) -> u16 {
    text.parse().expect("the port is a number")
}

#[traced]
fn handle_request() -> Result<u32, RiskError> {
    let first = risky_operation(1);
    if first.is_err() {
        otel_runtime::add_event("retrying", []);
    }
    let second = risky_operation(2)?;
    let port = std::panic::catch_unwind(|| parse_config("eighty")).unwrap_or(80);
    Ok(second + u32::from(port))
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = otel_runtime::init()?;
    // Keep the default panic message out of the way of the trace.
    std::panic::set_hook(Box::new(|_| {}));
    println!("{:?}", handle_request());
    Ok(())
}
