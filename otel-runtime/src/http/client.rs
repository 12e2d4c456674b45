//! A client span for every request a `reqwest` client sends (feature
//! `reqwest`), as a [`reqwest-middleware`](reqwest_middleware) middleware.
//!
//! ```
//! use otel_runtime::http::client::{TraceMiddleware, reqwest_middleware};
//!
//! # fn make() -> reqwest_middleware::ClientWithMiddleware {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(TraceMiddleware::new())
//!     .build();
//! # client }
//!
//! #[otel_runtime::traced]
//! async fn notify_warehouse(
//!     client: &reqwest_middleware::ClientWithMiddleware,
//! ) -> Result<u16, reqwest_middleware::Error> {
//!     // A client span, child of `notify_warehouse`; the warehouse
//!     // receives its `traceparent` and continues the trace.
//!     let response = client.post("http://warehouse.internal/orders").send().await?;
//!     Ok(response.status().as_u16())
//! }
//! # let _ = (make, notify_warehouse);
//! ```
//!
//! # What a request records
//!
//! One span of kind Client, named after the method (`GET`, `POST`; `HTTP`
//! for a method outside the standard ones), a child of the current span
//! (inside a `#[traced]` function, its span). The global propagator writes
//! its context, and the current baggage, into the request's headers
//! (`traceparent`, `baggage`), so that the server continues the trace.
//!
//! Attributes: `http.request.method` (`_OTHER` with
//! `http.request.method_original` for a non-standard method), `url.full`
//! (with `user:password` replaced by `REDACTED:REDACTED` and the values of
//! sensitive query parameters by `REDACTED`), `server.address`,
//! `server.port`, `http.response.status_code`, `network.protocol.version`,
//! and the headers you allow by name. Status Error for a 4xx or a 5xx
//! (`error.type` is the status code) and for a transport error
//! (`error.type` is `connect`, `timeout`, `request`, `body`, `decode` or
//! `redirect`, the description its causes, without the URL).
//!
//! The span ends when the response's head has arrived (or the request
//! failed); reading the body is the caller's work, in the caller's span.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use http::Extensions;
use opentelemetry::trace::{FutureExt as _, SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::HeaderInjector;
use reqwest_middleware::{Middleware, Next};

use super::{HeaderAllowList, QueryRedaction};

/// The `reqwest-middleware` version this middleware implements, so that
/// yours agrees with it.
pub use reqwest_middleware;

/// Makes a client span for every request; see the [module docs](self).
///
/// ```
/// use otel_runtime::http::client::TraceMiddleware;
///
/// let middleware = TraceMiddleware::new()
///     .record_request_header("x-request-id")
///     .record_response_header("content-type")
///     .redact_query_key("session");
/// # let _ = middleware;
/// ```
#[derive(Clone, Default)]
pub struct TraceMiddleware {
    config: Arc<Config>,
}

#[derive(Clone, Default)]
struct Config {
    request_headers: HeaderAllowList,
    response_headers: HeaderAllowList,
    query: QueryRedaction,
}

impl TraceMiddleware {
    /// A middleware recording no header.
    pub fn new() -> Self {
        Self::default()
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
    /// `url.full`, besides the [`secrets`](crate::secrets).
    pub fn redact_query_key(mut self, key: &str) -> Self {
        self.config_mut().query.add(key);
        self
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }
}

impl fmt::Debug for TraceMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceMiddleware")
            .field("request_headers", &self.config.request_headers)
            .field("response_headers", &self.config.response_headers)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Middleware for TraceMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let cx = start(&self.config, &request);
        crate::propagation::inject_context(&cx, &mut HeaderInjector(request.headers_mut()));
        let metric_attributes = request_metric_attributes(&request);
        let started = Instant::now();
        // Current while the rest of the chain runs: a middleware after
        // this one (a retry) makes its spans children of this one.
        let result = next.run(request, extensions).with_context(cx.clone()).await;
        record_duration(started, metric_attributes, &result);
        finish(&self.config, &cx, &result);
        result
    }
}

/// Starts the client span of `request` as a child of the current span.
/// The context returned carries the current baggage too.
fn start(config: &Config, request: &reqwest::Request) -> Context {
    let parent = Context::current();
    let tracer = super::tracer();
    let mut attributes = Vec::with_capacity(8);
    let name = super::method_attributes(request.method(), &mut attributes).unwrap_or("HTTP");
    let url = request.url();
    attributes.push(KeyValue::new("url.full", full_url(config, url)));
    if let Some(host) = url.host_str() {
        // An IPv6 literal is written in brackets in a URL, not in the
        // attribute.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        attributes.push(KeyValue::new("server.address", host.to_owned()));
    }
    if let Some(port) = url.port_or_known_default() {
        attributes.push(KeyValue::new("server.port", i64::from(port)));
    }
    config
        .request_headers
        .record(request.headers(), &mut attributes);
    let builder = tracer
        .span_builder(name)
        .with_kind(SpanKind::Client)
        .with_attributes(attributes);
    let span = tracer.build_with_context(builder, &parent);
    parent.with_span(span)
}

/// The URL to record: no credentials, no secret query values.
fn full_url(config: &Config, url: &reqwest::Url) -> String {
    let mut url = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        // Only fails for URLs that cannot have credentials, which have none.
        let _ = url.set_username("REDACTED");
        let _ = url.set_password(Some("REDACTED"));
    }
    if let Some(query) = url.query() {
        if let std::borrow::Cow::Owned(redacted) = config.query.redact(query) {
            url.set_query(Some(&redacted));
        }
    }
    url.into()
}

/// The attributes of `http.client.request.duration` known from the
/// request: the method, the server's address and port, the scheme.
fn request_metric_attributes(request: &reqwest::Request) -> Vec<KeyValue> {
    let url = request.url();
    let method = super::known_method(request.method()).unwrap_or("_OTHER");
    let mut attributes = Vec::with_capacity(7);
    attributes.push(KeyValue::new("http.request.method", method));
    attributes.push(KeyValue::new("url.scheme", url.scheme().to_owned()));
    if let Some(host) = url.host_str() {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        attributes.push(KeyValue::new("server.address", host.to_owned()));
    }
    if let Some(port) = url.port_or_known_default() {
        attributes.push(KeyValue::new("server.port", i64::from(port)));
    }
    attributes
}

/// Records the request's duration with its status code, or `error.type`.
fn record_duration(
    started: Instant,
    mut attributes: Vec<KeyValue>,
    result: &reqwest_middleware::Result<reqwest::Response>,
) {
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok(response) => {
            let status = response.status();
            attributes.push(KeyValue::new(
                "http.response.status_code",
                i64::from(status.as_u16()),
            ));
            if let Some(version) = super::protocol_version(response.version()) {
                attributes.push(KeyValue::new("network.protocol.version", version));
            }
            if status.is_client_error() || status.is_server_error() {
                attributes.push(KeyValue::new("error.type", status.as_str().to_owned()));
            }
        }
        Err(error) => attributes.push(KeyValue::new("error.type", error_type(error))),
    }
    super::metrics::client_duration().record(seconds, &attributes);
}

/// Records the outcome and ends the span.
fn finish(config: &Config, cx: &Context, result: &reqwest_middleware::Result<reqwest::Response>) {
    let span = cx.span();
    if span.is_recording() {
        match result {
            Ok(response) => {
                let status = response.status();
                let mut attributes = vec![KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                )];
                if let Some(version) = super::protocol_version(response.version()) {
                    attributes.push(KeyValue::new("network.protocol.version", version));
                }
                config
                    .response_headers
                    .record(response.headers(), &mut attributes);
                if status.is_client_error() || status.is_server_error() {
                    attributes.push(KeyValue::new("error.type", status.as_str().to_owned()));
                    span.set_status(Status::error(""));
                }
                span.set_attributes(attributes);
            }
            Err(error) => {
                span.set_attribute(KeyValue::new("error.type", error_type(error)));
                span.set_status(Status::error(error_description(error)));
            }
        }
    }
    span.end();
}

/// A low-cardinality name for what went wrong.
fn error_type(error: &reqwest_middleware::Error) -> &'static str {
    match error {
        reqwest_middleware::Error::Reqwest(error) => error_type_of(error),
        reqwest_middleware::Error::Middleware(_) => "middleware",
    }
}

fn error_type_of(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_redirect() {
        "redirect"
    } else if error.is_body() {
        "body"
    } else if error.is_decode() {
        "decode"
    } else if error.is_request() {
        "request"
    } else {
        "_OTHER"
    }
}

/// The error's causes, outermost first. Not its own message: reqwest's
/// names the URL, with the secrets `url.full` leaves out.
fn error_description(error: &reqwest_middleware::Error) -> String {
    let (first, mut source) = match error {
        reqwest_middleware::Error::Reqwest(error) => (
            error_type_of(error).to_owned(),
            std::error::Error::source(error),
        ),
        reqwest_middleware::Error::Middleware(error) => (error.to_string(), error.source()),
    };
    let mut parts = vec![first];
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_secret_query_values_are_redacted() {
        let config = Config::default();
        let url: reqwest::Url = "https://alice:hunter2@example.com:8443/a?sig=x&q=1#top"
            .parse()
            .unwrap();
        assert_eq!(
            full_url(&config, &url),
            "https://REDACTED:REDACTED@example.com:8443/a?sig=REDACTED&q=1#top"
        );
        let url: reqwest::Url = "http://example.com/plain?q=1".parse().unwrap();
        assert_eq!(full_url(&config, &url), "http://example.com/plain?q=1");
    }
}
