//! Spans and metrics for HTTP requests, following OpenTelemetry's HTTP
//! semantic conventions: a server span per request received ([`server`],
//! feature `tower`, plus `axum` to read axum's route template) and a client
//! span per request sent ([`client`], feature `reqwest`), and the request
//! durations of both (`metrics`).
//!
//! Both go through the global tracer provider and the global propagator
//! that [`init`](crate::init) installs: the server continues the caller's
//! trace from the request headers, the client writes the trace context (and
//! baggage) into the headers of the request it sends.
//!
//! Privacy: no header is recorded unless its name is allowed explicitly
//! (`record_request_header`, `record_response_header`), credentials in a
//! URL become `REDACTED:REDACTED`, and the values of sensitive query
//! parameters (`sig`, `token`, `api_key`, `X-Amz-Signature`… see
//! [`secrets`](crate::secrets), the list `#[traced]` arguments use too)
//! become `REDACTED`.

#[cfg(feature = "reqwest")]
pub mod client;
mod metrics;
#[cfg(feature = "tower")]
pub mod server;

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, Method, Version};
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, StringValue, Value};

use crate::secrets::is_secret_query_key;

/// What a redacted value becomes, as the semantic conventions spell it.
const REDACTED: &str = "REDACTED";

/// The tracer of this crate's HTTP spans. Asked for on every request, not
/// cached: the global provider may be replaced (by `init` in a test, say).
fn tracer() -> BoxedTracer {
    global::tracer_with_scope(scope())
}

/// The instrumentation scope of this crate's HTTP spans and metrics.
fn scope() -> InstrumentationScope {
    crate::engine::metrics_scope()
}

/// `http.request.method` as the conventions want it: one of the known
/// methods, else `_OTHER` (the original then goes to
/// `http.request.method_original`), so that a client sending made-up
/// methods cannot blow up the attribute's cardinality.
fn method_attributes(method: &Method, attributes: &mut Vec<KeyValue>) -> Option<&'static str> {
    let known = known_method(method);
    attributes.push(KeyValue::new(
        "http.request.method",
        known.unwrap_or("_OTHER"),
    ));
    if known.is_none() {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            method.as_str().to_owned(),
        ));
    }
    known
}

fn known_method(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => return None,
    })
}

/// `network.protocol.version`: `1.1`, `2`…
fn protocol_version(version: Version) -> Option<&'static str> {
    Some(match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => return None,
    })
}

/// Headers allowed to be recorded, each with its attribute key
/// (`http.request.header.<name>`), computed once.
#[derive(Clone, Debug, Default)]
struct HeaderAllowList(Vec<(HeaderName, Key)>);

impl HeaderAllowList {
    /// Allows `name`. Header names are case-insensitive; the attribute key
    /// uses the lower-case name, as the conventions say.
    ///
    /// # Panics
    /// When `name` is not a valid header name: a programming error, found
    /// at the first run.
    fn allow(&mut self, prefix: &str, name: &str) {
        let name = HeaderName::try_from(name.to_ascii_lowercase())
            .unwrap_or_else(|_| panic!("{name:?} is not a valid HTTP header name"));
        let key = Key::from(format!("{prefix}.{}", name.as_str()));
        self.0.push((name, key));
    }

    /// One string-array attribute per allowed header present in `headers`.
    fn record(&self, headers: &HeaderMap, attributes: &mut Vec<KeyValue>) {
        for (name, key) in &self.0 {
            let values: Vec<StringValue> = headers
                .get_all(name)
                .iter()
                .map(|value| {
                    String::from_utf8_lossy(value.as_bytes())
                        .into_owned()
                        .into()
                })
                .collect();
            if !values.is_empty() {
                attributes.push(KeyValue::new(
                    key.clone(),
                    Value::Array(Array::String(values)),
                ));
            }
        }
    }
}

/// Query keys whose values are redacted: the secrets' names
/// ([`is_secret_query_key`]) and the ones the user added.
#[derive(Clone, Debug, Default)]
struct QueryRedaction {
    extra: Vec<String>,
}

impl QueryRedaction {
    fn add(&mut self, key: &str) {
        self.extra.push(key.to_owned());
    }

    fn is_sensitive(&self, key: &str) -> bool {
        is_secret_query_key(key)
            || self
                .extra
                .iter()
                .any(|sensitive| sensitive.eq_ignore_ascii_case(key))
    }

    /// `query` with the value of every sensitive parameter replaced by
    /// `REDACTED`; everything else byte for byte as it was, so that what is
    /// recorded is what was sent. Keys are compared after decoding
    /// (`api%5Fkey` is `api_key`).
    fn redact<'a>(&self, query: &'a str) -> Cow<'a, str> {
        let redacted = |pair: &str| {
            let (raw_key, value) = pair.split_once('=')?;
            let (key, _) = form_urlencoded::parse(raw_key.as_bytes()).next()?;
            (self.is_sensitive(&key) && value != REDACTED).then_some(raw_key.len())
        };
        if !query.split('&').any(|pair| redacted(pair).is_some()) {
            return Cow::Borrowed(query);
        }
        let pairs: Vec<Cow<'_, str>> = query
            .split('&')
            .map(|pair| match redacted(pair) {
                Some(key_len) => Cow::Owned(format!("{}={REDACTED}", &pair[..key_len])),
                None => Cow::Borrowed(pair),
            })
            .collect();
        Cow::Owned(pairs.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_query_values_are_redacted_and_the_rest_kept_as_sent() {
        let redaction = QueryRedaction::default();
        assert_eq!(
            redaction.redact("q=rust%20otel&sig=abc&page=2&X-Amz-Signature=f00&TOKEN=t"),
            "q=rust%20otel&sig=REDACTED&page=2&X-Amz-Signature=REDACTED&TOKEN=REDACTED"
        );
        // Encoded keys are decoded to be compared; a key without a value
        // and an empty pair are left alone.
        assert_eq!(
            redaction.redact("api%5Fkey=1&token&&a=b"),
            "api%5Fkey=REDACTED&token&&a=b"
        );
        assert!(matches!(
            redaction.redact("a=1&b=2"),
            Cow::Borrowed("a=1&b=2")
        ));
        // Keys whose words hold a secret's are redacted; keys that merely
        // contain its letters are not.
        assert_eq!(
            redaction.redact("monkey=1&tokens=2&api_key_id=3"),
            "monkey=1&tokens=REDACTED&api_key_id=REDACTED"
        );
    }

    #[test]
    fn keys_added_by_the_user_are_redacted_too() {
        let mut redaction = QueryRedaction::default();
        redaction.add("session");
        assert_eq!(redaction.redact("Session=s&x=1"), "Session=REDACTED&x=1");
    }

    #[test]
    fn unknown_methods_are_other_with_the_original_kept() {
        let mut attributes = Vec::new();
        let method = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method_attributes(&method, &mut attributes), None);
        assert_eq!(
            attributes,
            [
                KeyValue::new("http.request.method", "_OTHER"),
                KeyValue::new("http.request.method_original", "PURGE"),
            ]
        );
        let mut attributes = Vec::new();
        assert_eq!(
            method_attributes(&Method::GET, &mut attributes),
            Some("GET")
        );
        assert_eq!(attributes, [KeyValue::new("http.request.method", "GET")]);
    }

    #[test]
    fn only_allowed_headers_are_recorded_as_string_arrays() {
        let mut allowed = HeaderAllowList::default();
        allowed.allow("http.request.header", "X-Request-Id");
        let mut headers = HeaderMap::new();
        headers.append("x-request-id", "a".parse().unwrap());
        headers.append("x-request-id", "b".parse().unwrap());
        headers.append("authorization", "Bearer secret".parse().unwrap());
        let mut attributes = Vec::new();
        allowed.record(&headers, &mut attributes);
        assert_eq!(
            attributes,
            [KeyValue::new(
                "http.request.header.x-request-id",
                Value::Array(Array::String(vec!["a".into(), "b".into()])),
            )]
        );
    }
}
