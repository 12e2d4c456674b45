//! OTLP/HTTP with protobuf: the encoded request `POST`ed to the traces
//! endpoint through the same hyper client (and TLS) as the other signals.

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT as USER_AGENT_HEADER};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use opentelemetry_http::HttpClient as _;

use super::retry::{Failure, Verdict};
use super::{Target, USER_AGENT};
use crate::init::tls::{HttpClient, Tls};

#[derive(Debug)]
pub(super) struct Http {
    client: HttpClient,
    endpoint: Uri,
    headers: HeaderMap,
    gzip: bool,
}

impl Http {
    pub(super) fn new(target: &Target<'_>, tls: &Tls) -> Result<Http, String> {
        let endpoint = target
            .endpoint
            .parse()
            .map_err(|error| format!("invalid endpoint {}: {error}", target.endpoint))?;
        let mut headers = target.headers.clone();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        );
        if target.gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        headers
            .entry(USER_AGENT_HEADER)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        Ok(Http {
            client: tls.http_client(target.timeout)?,
            endpoint,
            headers,
            gzip: target.gzip,
        })
    }

    /// Whether the body goes compressed (compressed once, before the
    /// first attempt).
    pub(super) fn gzip(&self) -> bool {
        self.gzip
    }

    /// One attempt.
    pub(super) async fn send(&self, body: Bytes) -> Result<(), Failure> {
        let mut request = Request::new(body);
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.endpoint.clone();
        *request.headers_mut() = self.headers.clone();
        let response = self
            .client
            .send_bytes(request)
            .await
            .map_err(|error| Failure {
                verdict: Verdict::Retry,
                message: format!("cannot reach the collector: {error}"),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let asked = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(retry_after);
        // The OTLP specification's table for HTTP.
        let verdict = match status.as_u16() {
            429 | 503 => asked.map_or(Verdict::Retry, Verdict::Throttled),
            502 | 504 => Verdict::Retry,
            _ => Verdict::Final,
        };
        Err(Failure {
            verdict,
            message: format!("the collector answered HTTP {status}"),
        })
    }
}

/// A `Retry-After` header's wait: seconds, or a date.
fn retry_after(value: &str) -> Option<std::time::Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(std::time::Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    at.duration_since(std::time::SystemTime::now()).ok()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(120);
        let waited = retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(waited > Duration::from_secs(100), "{waited:?}");
        assert_eq!(retry_after("soon"), None);
    }
}
