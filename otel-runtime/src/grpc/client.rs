//! The client side: a tower layer around a tonic `Channel`.

use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_http::HeaderInjector;

use super::body::{Direction, Observed};
use super::call::Call;
use super::future::CallFuture;
use super::status::Side;

/// A tower [`Layer`](tower_layer::Layer) that gives every call made
/// through a tonic channel a span of kind Client, and writes the trace
/// context (and baggage) into its metadata (see the [module docs](super)).
///
/// ```
/// use otel_runtime::grpc::ClientLayer;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:50051").connect_lazy();
/// let channel = tower::ServiceBuilder::new()
///     .layer(ClientLayer::new().server("127.0.0.1:50051"))
///     .service(channel);
/// // A generated client takes it as it takes a channel:
/// // `OrdersClient::new(channel)`.
/// let grpc = tonic::client::Grpc::new(channel);
/// # let _ = grpc;
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientLayer {
    server: Vec<KeyValue>,
}

impl ClientLayer {
    /// A layer that reads `server.address` and `server.port` from each
    /// request's URI (a generated client's `with_origin`).
    pub fn new() -> Self {
        ClientLayer::default()
    }

    /// The server's `host:port`, for `server.address` and `server.port`: a
    /// tonic channel's requests carry their path alone.
    pub fn server(mut self, authority: &str) -> Self {
        self.server.clear();
        super::authority_attributes(authority, &mut self.server);
        self
    }
}

impl<S> tower_layer::Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> ClientService<S> {
        ClientService {
            inner,
            server: self.server.clone(),
        }
    }
}

/// The service that [`ClientLayer`] wraps around a channel.
#[derive(Clone, Debug)]
pub struct ClientService<S> {
    inner: S,
    server: Vec<KeyValue>,
}

impl<S, B, ResB> tower_service::Service<Request<B>> for ClientService<S>
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

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let mut addresses = Vec::with_capacity(2);
        match request.uri().authority() {
            Some(authority) => super::authority_attributes(authority.as_str(), &mut addresses),
            None => addresses.clone_from(&self.server),
        }
        let call = Call::start(
            Side::Client,
            &Context::current(),
            request.uri().path(),
            addresses,
        );
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(call.context(), &mut HeaderInjector(request.headers_mut()));
        });
        let cx = call.context().clone();
        let request = request
            .map(|body| tonic::body::Body::new(Observed::request(body, cx, Direction::Sent)));
        CallFuture::new(self.inner.call(request), call)
    }
}
