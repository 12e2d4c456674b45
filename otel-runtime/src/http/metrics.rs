//! HTTP metrics by the semantic conventions: `http.server.request.duration`
//! and `http.client.request.duration` (seconds, the conventions' bucket
//! boundaries) and `http.server.active_requests`, through the global meter
//! provider that [`init`](crate::init) installs (without one they record
//! nothing). Their attributes are the conventions' low-cardinality ones:
//! the method, the route template, the status code, the scheme, the
//! protocol version and `error.type`; never a path or a query.

use opentelemetry::global;
#[cfg(feature = "tower")]
use opentelemetry::metrics::UpDownCounter;
use opentelemetry::metrics::{Histogram, Meter};

/// The conventions' advice for HTTP request durations, in seconds.
const BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// This crate's meter. Asked for on every request, as the tracer is: the
/// global provider may be replaced.
fn meter() -> Meter {
    global::meter_with_scope(super::scope())
}

fn duration(name: &'static str, description: &'static str) -> Histogram<f64> {
    meter()
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(BOUNDARIES.to_vec())
        .build()
}

/// `http.server.request.duration`.
#[cfg(feature = "tower")]
pub(super) fn server_duration() -> Histogram<f64> {
    duration(
        "http.server.request.duration",
        "Duration of HTTP server requests.",
    )
}

/// `http.server.active_requests`.
#[cfg(feature = "tower")]
pub(super) fn server_active_requests() -> UpDownCounter<i64> {
    meter()
        .i64_up_down_counter("http.server.active_requests")
        .with_unit("{request}")
        .with_description("Number of active HTTP server requests.")
        .build()
}

/// `http.client.request.duration`.
#[cfg(feature = "reqwest")]
pub(super) fn client_duration() -> Histogram<f64> {
    duration(
        "http.client.request.duration",
        "Duration of HTTP client requests.",
    )
}
