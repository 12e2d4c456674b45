//! A server span for every request a tower service handles (feature
//! `tower`): axum, tonic over HTTP, hyper with `tower`, any
//! `Service<http::Request<B>, Response = http::Response<B2>>`.
//!
//! ```
//! use axum::{Router, routing::get};
//! use otel_runtime::http::server::TraceLayer;
//! # use otel_runtime::testing::{capture_async, SpanDataExt};
//! # use tower::ServiceExt as _;
//!
//! #[otel_runtime::traced]
//! async fn load_user(id: u64) -> String {
//!     format!("user {id}")
//! }
//!
//! let app = Router::new()
//!     .route("/users/{id}", get(|axum::extract::Path(id): axum::extract::Path<u64>| load_user(id)))
//!     // `Router::layer`: the route is matched before the layer runs, so
//!     // the span is named after the template.
//!     .layer(TraceLayer::new());
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! # let request = http::Request::get("/users/42").body(axum::body::Body::empty()).unwrap();
//! # let (response, spans) = capture_async(|| app.oneshot(request)).await;
//! # assert_eq!(response.unwrap().status(), 200);
//! # let server = spans.named("GET /users/{id}");
//! # assert_eq!(server.attr("http.route"), Some(&"/users/{id}".into()));
//! # assert!(spans.is_child_of(spans.named("load_user"), server));
//! # });
//! ```
//!
//! # What a request records
//!
//! One span of kind Server, named `{METHOD} {route}` after the route
//! template (`GET /users/{id}`), or `{METHOD}` alone when no route is known
//! (a 404): never the raw path, whose IDs would make every name unique.
//! Its parent is the caller's span, read from the request headers by the
//! global propagator (`traceparent`, and `baggage`, which stays in the
//! context for the handler). The span is current while the inner service
//! is called and each time its future is polled, so that `#[traced]`
//! functions in handlers become its children.
//!
//! Attributes: `http.request.method` (`_OTHER` for a method outside the
//! standard ones, the original in `http.request.method_original`),
//! `url.path`, `url.query` (sensitive values `REDACTED`), `url.scheme`,
//! `http.route`, `http.response.status_code`, `server.address` and
//! `server.port` (from the URI's authority or the `Host` header),
//! `client.address` (the first `X-Forwarded-For` address, else the peer's),
//! `network.peer.address` and `network.peer.port` (the peer, when known),
//! `user_agent.original`, `network.protocol.version`, and the headers you
//! allow by name. Status Error for a 5xx response (`error.type` is the
//! status code) or an error from the inner service (`error.type` is its
//! type); a 4xx is the client's mistake, not the server's, and leaves the
//! status Unset.
//!
//! The span ends when the inner service produces the response, before its
//! body is sent: the body type stays yours (no wrapper type in every
//! signature), and a long stream (server-sent events, a download) does not
//! keep a span open for its whole life. A request whose handler panics
//! ends as a traced call that panics does: status Error, `error.type =
//! "panic"`, and an `exception` event with the panic's message and place.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use http::{Extensions, Request, Response};
use opentelemetry::metrics::UpDownCounter;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_http::HeaderExtractor;

use super::{HeaderAllowList, QueryRedaction};
use attributes::{request_attributes, response_attributes, span_name};

mod attributes;

/// Reads the route template of a request from its extensions.
pub type RouteFn = fn(&Extensions) -> Option<&str>;

/// Reads the address of the connection's peer from a request's extensions.
pub type PeerFn = fn(&Extensions) -> Option<SocketAddr>;

/// A tower [`Layer`](tower_layer::Layer) that gives every request a server
/// span; see the [module docs](self) for what it records.
///
/// ```
/// use otel_runtime::http::server::TraceLayer;
///
/// let layer = TraceLayer::new()
///     .record_request_header("x-request-id")
///     .record_response_header("content-type")
///     .redact_query_key("session");
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct TraceLayer {
    config: Arc<Config>,
}

#[derive(Clone)]
struct Config {
    route: RouteFn,
    peer: PeerFn,
    request_headers: HeaderAllowList,
    response_headers: HeaderAllowList,
    query: QueryRedaction,
}

impl TraceLayer {
    /// A layer recording no header. With the `axum` feature, the route is
    /// axum's `MatchedPath` and the peer axum's `ConnectInfo<SocketAddr>`;
    /// without it, neither is known until you say where to find them
    /// ([`route_from`](Self::route_from), [`peer_from`](Self::peer_from)).
    pub fn new() -> Self {
        TraceLayer {
            config: Arc::new(Config {
                route: default_route,
                peer: default_peer,
                request_headers: HeaderAllowList::default(),
                response_headers: HeaderAllowList::default(),
                query: QueryRedaction::default(),
            }),
        }
    }

    /// Where the route template is: for a router other than axum's, a
    /// function reading what the router left in the request's extensions.
    ///
    /// ```
    /// use otel_runtime::http::server::TraceLayer;
    ///
    /// /// What our own router inserts once it has matched a route.
    /// #[derive(Clone)]
    /// struct Matched(&'static str);
    ///
    /// let layer = TraceLayer::new().route_from(|extensions| {
    ///     extensions.get::<Matched>().map(|matched| matched.0)
    /// });
    /// # let _ = layer;
    /// ```
    pub fn route_from(mut self, route: RouteFn) -> Self {
        self.config_mut().route = route;
        self
    }

    /// Where the peer's address is (for `client.address` and
    /// `network.peer.*`), in the request's extensions.
    pub fn peer_from(mut self, peer: PeerFn) -> Self {
        self.config_mut().peer = peer;
        self
    }

    /// Records the request header `name` (any case) as the attribute
    /// `http.request.header.<name>`, a list of its values. No header is
    /// recorded otherwise: headers carry credentials and cookies.
    ///
    /// # Panics
    /// When `name` is not a valid header name.
    pub fn record_request_header(mut self, name: &str) -> Self {
        self.config_mut()
            .request_headers
            .allow("http.request.header", name);
        self
    }

    /// Records the response header `name` as
    /// `http.response.header.<name>`.
    ///
    /// # Panics
    /// When `name` is not a valid header name.
    pub fn record_response_header(mut self, name: &str) -> Self {
        self.config_mut()
            .response_headers
            .allow("http.response.header", name);
        self
    }

    /// Redacts the value of the query parameter `key` (any case) in
    /// `url.query`, besides the [`secrets`](crate::secrets).
    pub fn redact_query_key(mut self, key: &str) -> Self {
        self.config_mut().query.add(key);
        self
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }
}

impl Default for TraceLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TraceLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceLayer")
            .field("request_headers", &self.config.request_headers)
            .field("response_headers", &self.config.response_headers)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "axum")]
fn default_route(extensions: &Extensions) -> Option<&str> {
    extensions
        .get::<axum::extract::MatchedPath>()
        .map(axum::extract::MatchedPath::as_str)
}

#[cfg(not(feature = "axum"))]
fn default_route(_: &Extensions) -> Option<&str> {
    None
}

#[cfg(feature = "axum")]
fn default_peer(extensions: &Extensions) -> Option<SocketAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

#[cfg(not(feature = "axum"))]
fn default_peer(_: &Extensions) -> Option<SocketAddr> {
    None
}

impl<S> tower_layer::Layer<S> for TraceLayer {
    type Service = TraceService<S>;

    fn layer(&self, inner: S) -> TraceService<S> {
        TraceService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service that [`TraceLayer`] wraps around yours.
#[derive(Clone)]
pub struct TraceService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: fmt::Debug> fmt::Debug for TraceService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResB> tower_service::Service<Request<B>> for TraceService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let cx = start(&self.config, &request);
        let metrics = RequestMetrics::start(&self.config, &request);
        if cx.span().is_recording() {
            // So that a handler's panic is recorded with its message.
            crate::engine::install_panic_hook();
        }
        // Current during `call` too: some services do their work there.
        let inner = {
            let _current = cx.clone().attach();
            self.inner.call(request)
        };
        ResponseFuture {
            inner,
            span: Some(ServerSpan {
                cx,
                config: self.config.clone(),
                metrics,
            }),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's future, with the server span current on every
    /// poll; the span ends when the response is ready.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        span: Option<ServerSpan>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(span) = this.span else {
            return this.inner.poll(task);
        };
        let poll = {
            let _current = span.cx.clone().attach();
            let mut unwinding = OnUnwind(Some(span));
            let poll = this.inner.poll(task);
            unwinding.0 = None;
            poll
        };
        if let Poll::Ready(result) = &poll {
            if let Some(span) = this.span.take() {
                span.finish(result);
            }
        }
        poll
    }
}

/// Marks the span when a poll panics: the executor (tokio's task harness,
/// `catch_unwind`) catches the panic and drops the future later, when
/// `thread::panicking()` no longer tells.
struct OnUnwind<'a>(Option<&'a ServerSpan>);

impl Drop for OnUnwind<'_> {
    fn drop(&mut self) {
        if let Some(span) = self.0.take() {
            let span = span.cx.span();
            if span.is_recording() {
                let (message, location) = crate::engine::last_panic();
                crate::engine::record_panic(&span, message, location);
            }
        }
    }
}

/// The span of one request, until its response is ready.
struct ServerSpan {
    cx: Context,
    config: Arc<Config>,
    metrics: RequestMetrics,
}

/// One request in the HTTP server metrics: counted active from its call
/// until it is done (or dropped), its duration recorded with its response.
struct RequestMetrics {
    started: Instant,
    active: UpDownCounter<i64>,
    /// `http.request.method` and `url.scheme`: the active requests'
    /// attributes.
    request: [KeyValue; 2],
    /// The duration's others known from the request: `http.route`,
    /// `network.protocol.version`.
    more: Vec<KeyValue>,
}

impl RequestMetrics {
    fn start<B>(config: &Config, request: &Request<B>) -> RequestMetrics {
        let method = crate::http::known_method(request.method()).unwrap_or("_OTHER");
        let scheme = request.uri().scheme_str().unwrap_or("http").to_owned();
        let request_attributes = [
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.scheme", scheme),
        ];
        let mut more = Vec::with_capacity(4);
        if let Some(route) = (config.route)(request.extensions()) {
            more.push(KeyValue::new("http.route", route.to_owned()));
        }
        if let Some(version) = crate::http::protocol_version(request.version()) {
            more.push(KeyValue::new("network.protocol.version", version));
        }
        let active = super::metrics::server_active_requests();
        active.add(1, &request_attributes);
        RequestMetrics {
            started: Instant::now(),
            active,
            request: request_attributes,
            more,
        }
    }

    /// Records the request's duration, with its response's status code or
    /// the service's error.
    fn finish<ResB, E>(&mut self, result: &Result<Response<ResB>, E>) {
        let seconds = self.started.elapsed().as_secs_f64();
        let mut attributes = Vec::with_capacity(self.request.len() + self.more.len() + 2);
        attributes.extend(self.request.iter().cloned());
        attributes.append(&mut self.more);
        match result {
            Ok(response) => {
                let status = response.status();
                attributes.push(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                ));
                if status.is_server_error() {
                    attributes.push(KeyValue::new("error.type", status.as_str().to_owned()));
                }
            }
            Err(_) => attributes.push(KeyValue::new("error.type", std::any::type_name::<E>())),
        }
        super::metrics::server_duration().record(seconds, &attributes);
    }
}

impl Drop for RequestMetrics {
    fn drop(&mut self) {
        self.active.add(-1, &self.request);
    }
}

impl ServerSpan {
    fn finish<ResB, E>(mut self, result: &Result<Response<ResB>, E>) {
        self.metrics.finish(result);
        let span = self.cx.span();
        if span.is_recording() {
            match result {
                Ok(response) => {
                    span.set_attributes(response_attributes(&self.config, response));
                    if response.status().is_server_error() {
                        // No description: the status code says it all.
                        span.set_status(Status::error(""));
                    }
                }
                Err(_) => {
                    // The type, fully qualified, as the conventions ask:
                    // the service's error need not be `Display`.
                    span.set_attribute(KeyValue::new("error.type", std::any::type_name::<E>()));
                    span.set_status(Status::error(""));
                }
            }
        }
        // `Drop` ends the span.
    }
}

impl Drop for ServerSpan {
    fn drop(&mut self) {
        // Ended here, not when the last clone of the context drops: a task
        // spawned by the handler may hold one for longer. (Dropped before
        // the response, the client went away: nothing more to say.)
        self.cx.span().end();
    }
}

/// Starts the server span of `request` as a child of the caller's span,
/// and returns the context to run the handler in (with the caller's
/// baggage).
fn start<B>(config: &Config, request: &Request<B>) -> Context {
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    let tracer = super::tracer();
    let route = (config.route)(request.extensions());
    let mut attributes = Vec::with_capacity(16);
    let method = super::method_attributes(request.method(), &mut attributes);
    let name = span_name(method, route);
    request_attributes(config, request, route, &mut attributes);
    // Attributes at the start, where a sampler sees them.
    let builder = tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes);
    let span = tracer.build_with_context(builder, &parent);
    parent.with_span(span)
}
