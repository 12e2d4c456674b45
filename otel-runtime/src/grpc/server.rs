//! The server side: a tower layer for `tonic::transport::Server::layer`.

use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::{KeyValue, global};
use opentelemetry_http::HeaderExtractor;

use super::body::{Direction, Observed};
use super::call::Call;
use super::future::CallFuture;
use super::status::Side;

/// A tower [`Layer`](tower_layer::Layer) that gives every call a tonic
/// server receives a span of kind Server (see the [module docs](super)).
///
/// ```
/// use otel_runtime::grpc::ServerLayer;
///
/// let server = tonic::transport::Server::builder().layer(ServerLayer::new());
/// # let _ = server;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ServerLayer {
    _private: (),
}

impl ServerLayer {
    /// The layer.
    pub fn new() -> Self {
        ServerLayer::default()
    }
}

impl<S> tower_layer::Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> ServerService<S> {
        ServerService { inner }
    }
}

/// The service that [`ServerLayer`] wraps around tonic's routes.
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
}

impl<S, B, ResB> tower_service::Service<Request<B>> for ServerService<S>
where
    S: tower_service::Service<Request<tonic::body::Body>, Response = Response<ResB>>,
    S::Error: std::error::Error + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + std::error::Error + 'static,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<tonic::codegen::StdError> + std::error::Error + 'static,
{
    type Response = Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = CallFuture<S::Future>;

    fn poll_ready(&mut self, task: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(task)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let parent = global::get_text_map_propagator(|propagator| {
            propagator.extract(&HeaderExtractor(request.headers()))
        });
        let call = Call::start(
            Side::Server,
            &parent,
            request.uri().path(),
            addresses(&request),
        );
        if call.context().span().is_recording() {
            // So that a handler's panic is recorded with its message.
            crate::engine::install_panic_hook();
        }
        let cx = call.context().clone();
        let request = request.map(|body| {
            tonic::body::Body::new(Observed::request(body, cx.clone(), Direction::Received))
        });
        let inner = {
            let _current = cx.attach();
            self.inner.call(request)
        };
        CallFuture::new(inner, call)
    }
}

/// `server.address` and `server.port` from the request's authority, and
/// the peer's `network.peer.address` and `network.peer.port` from what
/// tonic's server put in the request.
fn addresses<B>(request: &Request<B>) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(4);
    let authority = request
        .uri()
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| {
            request
                .headers()
                .get(http::header::HOST)
                .and_then(|host| host.to_str().ok())
        });
    if let Some(authority) = authority {
        super::authority_attributes(authority, &mut attributes);
    }
    let peer = request
        .extensions()
        .get::<tonic::transport::server::TcpConnectInfo>()
        .and_then(tonic::transport::server::TcpConnectInfo::remote_addr);
    if let Some(peer) = peer {
        attributes.push(KeyValue::new("network.peer.address", peer.ip().to_string()));
        attributes.push(KeyValue::new("network.peer.port", i64::from(peer.port())));
    }
    attributes
}
