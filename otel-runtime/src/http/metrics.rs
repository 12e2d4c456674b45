//! HTTP metrics by the semantic conventions: `http.server.request.duration`
//! and `http.client.request.duration` (seconds, the conventions' bucket
//! boundaries) and `http.server.active_requests`, through the global meter
//! provider that [`init`](crate::init) installs (without one they record
//! nothing). Their attributes are the conventions' low-cardinality ones:
//! the method, the route template, the status code, the scheme, the
//! protocol version and `error.type`; never a path or a query.

use std::sync::OnceLock;

use opentelemetry::global;
#[cfg(feature = "tower")]
use opentelemetry::metrics::UpDownCounter;
use opentelemetry::metrics::{Histogram, Meter};

/// The conventions' advice for HTTP request durations, in seconds.
const BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The instruments, made once from the meter provider that `init`
/// installed: making one costs some 600 ns, as much as a request's span
/// (`BENCHMARKS.md`, "Function metrics"). Without `init`'s, each request
/// makes the one it needs, from the global provider, which may be
/// replaced.
struct Instruments {
    #[cfg(feature = "tower")]
    server_duration: Histogram<f64>,
    #[cfg(feature = "tower")]
    server_active_requests: UpDownCounter<i64>,
    #[cfg(feature = "reqwest")]
    client_duration: Histogram<f64>,
}

/// `pick` of the instruments made once, when `init` installed the provider.
fn kept<T>(pick: impl FnOnce(&Instruments) -> T) -> Option<T> {
    static KEPT: OnceLock<Instruments> = OnceLock::new();
    crate::engine::meter_installed().then(|| {
        pick(KEPT.get_or_init(|| Instruments {
            #[cfg(feature = "tower")]
            server_duration: make_server_duration(),
            #[cfg(feature = "tower")]
            server_active_requests: make_server_active_requests(),
            #[cfg(feature = "reqwest")]
            client_duration: make_client_duration(),
        }))
    })
}

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
    kept(|made| made.server_duration.clone()).unwrap_or_else(make_server_duration)
}

#[cfg(feature = "tower")]
fn make_server_duration() -> Histogram<f64> {
    duration(
        "http.server.request.duration",
        "Duration of HTTP server requests.",
    )
}

/// `http.server.active_requests`.
#[cfg(feature = "tower")]
pub(super) fn server_active_requests() -> UpDownCounter<i64> {
    kept(|made| made.server_active_requests.clone()).unwrap_or_else(make_server_active_requests)
}

#[cfg(feature = "tower")]
fn make_server_active_requests() -> UpDownCounter<i64> {
    meter()
        .i64_up_down_counter("http.server.active_requests")
        .with_unit("{request}")
        .with_description("Number of active HTTP server requests.")
        .build()
}

/// `http.client.request.duration`.
#[cfg(feature = "reqwest")]
pub(super) fn client_duration() -> Histogram<f64> {
    kept(|made| made.client_duration.clone()).unwrap_or_else(make_client_duration)
}

#[cfg(feature = "reqwest")]
fn make_client_duration() -> Histogram<f64> {
    duration(
        "http.client.request.duration",
        "Duration of HTTP client requests.",
    )
}
