//! Spans and metrics for gRPC calls made and served with tonic (feature
//! `tonic`), by OpenTelemetry's RPC semantic conventions: a server layer
//! ([`ServerLayer`], for `tonic::transport::Server::builder().layer(…)`)
//! and a client layer ([`ClientLayer`], around a `Channel`).
//!
//! ```
//! use otel_runtime::grpc::{ClientLayer, ServerLayer};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // The server: every call a span of kind Server, the caller's trace
//! // continued, `#[traced]` functions in handlers its children.
//! let server = tonic::transport::Server::builder().layer(ServerLayer::new());
//! // The client: every call a span of kind Client, the trace context (and
//! // baggage) written into the call's metadata.
//! let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:50051").connect_lazy();
//! let channel = tower::ServiceBuilder::new()
//!     .layer(ClientLayer::new().server("127.0.0.1:50051"))
//!     .service(channel);
//! # let _ = (server, channel);
//! # });
//! ```
//!
//! # What a call records
//!
//! | | server span | client span |
//! |---|---|---|
//! | name | `{package.Service}/{Method}` (`shop.Orders/Place`) | the same |
//! | kind | Server | Client |
//! | parent | the caller's, read from the metadata by the global propagator | the span current where the call is made |
//! | `rpc.system`, `rpc.service`, `rpc.method` | `grpc`, `shop.Orders`, `Place` | the same |
//! | `rpc.grpc.status_code` | the status sent (from the trailers, or the headers of a trailers-only response) | the status received |
//! | `server.address`, `server.port` | from the request's authority | from the request's URI, else [`ClientLayer::server`] |
//! | `network.peer.address`, `network.peer.port` | the peer, from tonic's server | |
//! | status Error | on `UNKNOWN`, `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE`, `DATA_LOSS` (the conventions' server errors), or a handler's panic | on any status but `OK`, or a failed transport |
//! | `error.type` | the status's name (`INTERNAL`), `panic` | the status's name, or the transport error's type |
//! | description | the status message | the status message, or the transport error |
//! | events | one `rpc.message` per message: `rpc.message.type` (`SENT`, `RECEIVED`), `rpc.message.id` (from 1, each way), and `rpc.message.uncompressed_size` (or `compressed_size`) | the same |
//!
//! A span ends with the call's status, which comes after the last message:
//! a streaming call's span covers the whole stream, and counts its messages
//! as events (past the span's event limit, they are counted as dropped). A
//! call dropped before its status (the client went away, or stopped
//! reading a stream) ends with `rpc.grpc.status_code` 1, `CANCELLED`,
//! which is an error on the client's side only. The span is current while
//! the handler runs, and while its response stream is polled.
//!
//! Metrics: `rpc.server.duration` and `rpc.client.duration`, in
//! milliseconds, with `rpc.system`, `rpc.service`, `rpc.method` and
//! `rpc.grpc.status_code`.

mod body;
mod call;
mod client;
mod future;
mod metrics;
mod server;
mod status;

pub use client::{ClientLayer, ClientService};
pub use future::CallFuture;
pub use server::{ServerLayer, ServerService};

use bytes::Bytes;
use http::Response;
use opentelemetry::KeyValue;

use body::{Direction, Observed};
use call::{Call, Outcome};

/// `server.address` and `server.port` of a `host:port`.
fn authority_attributes(authority: &str, attributes: &mut Vec<KeyValue>) {
    let Ok(authority) = authority.parse::<http::uri::Authority>() else {
        return;
    };
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .unwrap_or(host);
    attributes.push(KeyValue::new("server.address", host.to_owned()));
    if let Some(port) = authority.port_u16() {
        attributes.push(KeyValue::new("server.port", i64::from(port)));
    }
}

/// What the service answered, passed on: a response with its body
/// observed ([`respond`]), or an error that ends the call.
fn answered<B, E>(
    result: Result<Response<B>, E>,
    call: Call,
    direction: Direction,
    current: bool,
) -> Result<Response<tonic::body::Body>, E>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + std::error::Error + 'static,
    E: std::error::Error + 'static,
{
    match result {
        Ok(response) => Ok(respond(response, call, direction, current)),
        Err(error) => {
            call.finish(body::failed(&error));
            Err(error)
        }
    }
}

/// The response with its body observed, the call ended by its trailers; or
/// ended now, when the response is trailers-only (the status in its
/// headers) or has no body.
fn respond<B>(
    response: Response<B>,
    call: Call,
    direction: Direction,
    current: bool,
) -> Response<tonic::body::Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + std::error::Error + 'static,
{
    if let Some((code, message)) = status::read(response.headers()) {
        call.finish(Outcome::Status(code, message));
        return response.map(tonic::body::Body::new);
    }
    if response.body().is_end_stream() {
        call.finish(body::missing_status());
        return response.map(tonic::body::Body::new);
    }
    response
        .map(|inner| tonic::body::Body::new(Observed::response(inner, call, direction, current)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authority_gives_the_server_address_and_port() {
        let mut attributes = Vec::new();
        authority_attributes("[::1]:50051", &mut attributes);
        assert_eq!(
            attributes,
            [
                KeyValue::new("server.address", "::1"),
                KeyValue::new("server.port", 50051),
            ]
        );
        let mut attributes = Vec::new();
        authority_attributes("orders.internal", &mut attributes);
        assert_eq!(
            attributes,
            [KeyValue::new("server.address", "orders.internal")]
        );
    }
}
