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

static RELATIONS_EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn parent_of(cx: &otel_runtime::opentelemetry::Context) -> &otel_runtime::opentelemetry::Context {
    RELATIONS_EVALUATED.fetch_add(1, Ordering::SeqCst);
    cx
}

#[traced(parent = parent_of(cx), links = [parent_of(cx)])]
fn related(cx: &otel_runtime::opentelemetry::Context) -> bool {
    otel_runtime::opentelemetry::trace::TraceContextExt::has_active_span(
        &otel_runtime::opentelemetry::Context::current(),
    )
}

#[test]
fn parent_and_links_are_not_evaluated_once_no_provider_is_known() {
    let cx = otel_runtime::opentelemetry::Context::new();
    // The first call starts in full and finds no provider; the second
    // starts this thread's run of calls that trust it (a provider installed
    // straight through `global` is looked for again every 1,024 calls).
    related(&cx);
    related(&cx);
    let before = RELATIONS_EVALUATED.load(Ordering::SeqCst);
    assert!(before <= 4);
    for _ in 0..100 {
        assert!(!related(&cx), "no span is made current");
    }
    assert_eq!(RELATIONS_EVALUATED.load(Ordering::SeqCst), before);
}
