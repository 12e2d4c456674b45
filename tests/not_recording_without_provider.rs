//! With no tracer provider installed, nothing about an argument is
//! evaluated: no `Debug` call, no allocation, no clone.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use otel_runtime::traced;

static DEBUG_CALLS: AtomicUsize = AtomicUsize::new(0);

struct Counted;

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DEBUG_CALLS.fetch_add(1, Ordering::SeqCst);
        f.write_str("Counted")
    }
}

#[traced(fields(extra = ?Counted, shown = %DisplayCounted), ret)]
fn work(value: &Counted, again: Counted) -> Result<u8, CountedError> {
    let _ = (value, again);
    Err(CountedError)
}

struct DisplayCounted;

impl fmt::Display for DisplayCounted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DEBUG_CALLS.fetch_add(1, Ordering::SeqCst);
        f.write_str("DisplayCounted")
    }
}

#[derive(Debug)]
struct CountedError;

impl fmt::Display for CountedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DEBUG_CALLS.fetch_add(1, Ordering::SeqCst);
        f.write_str("CountedError")
    }
}

#[test]
fn nothing_is_formatted_when_no_provider_is_installed() {
    for _ in 0..10 {
        assert!(work(&Counted, Counted).is_err());
    }
    assert_eq!(DEBUG_CALLS.load(Ordering::SeqCst), 0);
}
