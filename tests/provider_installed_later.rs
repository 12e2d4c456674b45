//! A provider installed after traced calls ran without one: traced calls
//! skip all work while none is installed, and still find the provider.

#[path = "support/keep.rs"]
mod keep;

use keep::Keep;
use otel_runtime::opentelemetry::global;
use otel_runtime::opentelemetry::trace::noop::NoopTracerProvider;
use otel_runtime::traced;

#[traced]
fn handled(n: u32) -> u32 {
    n
}

/// Calls `handled` until `keep` gets a span; how many calls that took.
fn calls_until_seen(keep: &Keep) -> u32 {
    let before = keep.count();
    (1..=2000)
        .find(|&n| {
            handled(n);
            keep.count() > before
        })
        .expect("the provider was never used")
}

// One test: the global provider is process-wide.
#[test]
fn a_provider_installed_later_is_found() {
    for n in 0..10 {
        handled(n);
    }

    // Installed straight through `opentelemetry::global` after calls
    // without one: noticed within 1,024 calls on this thread.
    let first = Keep::default();
    global::set_tracer_provider(first.provider());
    assert!(calls_until_seen(&first) <= 1025);

    // Installed through this crate: the very next call is traced.
    let second = Keep::default();
    otel_runtime::set_tracer_provider(second.provider());
    assert_eq!(calls_until_seen(&second), 1);

    // Replaced through `opentelemetry::global`: within 1,024 calls here,
    // at once on a thread that starts afterwards.
    let third = Keep::default();
    global::set_tracer_provider(third.provider());
    std::thread::spawn(|| handled(3)).join().unwrap();
    assert_eq!(third.count(), 1);
    assert!(calls_until_seen(&third) <= 1025);

    // And back to none: nothing more reaches the last one.
    otel_runtime::set_tracer_provider(NoopTracerProvider::new());
    let before = third.count();
    for n in 0..10 {
        handled(n);
    }
    assert_eq!(third.count(), before);
}
