//! The RPC conventions' call durations: `rpc.server.duration` and
//! `rpc.client.duration`, in milliseconds, with `rpc.system`,
//! `rpc.service`, `rpc.method` and `rpc.grpc.status_code`, through the
//! global meter provider that [`init`](crate::init) installs (without one
//! they record nothing).

use std::sync::OnceLock;

use opentelemetry::global;
use opentelemetry::metrics::Histogram;

/// Both instruments, made once from `init`'s meter provider, as the HTTP
/// ones are (`http/metrics.rs` says why).
struct Instruments {
    server: Histogram<f64>,
    client: Histogram<f64>,
}

fn kept() -> Option<&'static Instruments> {
    static KEPT: OnceLock<Instruments> = OnceLock::new();
    crate::engine::meter_installed().then(|| {
        KEPT.get_or_init(|| Instruments {
            server: make_server(),
            client: make_client(),
        })
    })
}

fn duration(name: &'static str, description: &'static str) -> Histogram<f64> {
    global::meter_with_scope(crate::engine::metrics_scope())
        .f64_histogram(name)
        .with_unit("ms")
        .with_description(description)
        .build()
}

fn make_server() -> Histogram<f64> {
    duration("rpc.server.duration", "Duration of inbound RPCs.")
}

fn make_client() -> Histogram<f64> {
    duration("rpc.client.duration", "Duration of outbound RPCs.")
}

/// `rpc.server.duration`.
pub(super) fn server_duration() -> Histogram<f64> {
    kept().map_or_else(make_server, |made| made.server.clone())
}

/// `rpc.client.duration`.
pub(super) fn client_duration() -> Histogram<f64> {
    kept().map_or_else(make_client, |made| made.client.clone())
}
