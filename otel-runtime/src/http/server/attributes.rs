//! What a server span records: its name, and the attributes read from
//! the request and the response.

use http::{HeaderMap, Request, Response, header};
use opentelemetry::KeyValue;

use super::Config;

/// `{METHOD} {route}`, `{METHOD}` without a route, `HTTP` for a method
/// outside the standard ones, as the conventions say.
pub(super) fn span_name(method: Option<&'static str>, route: Option<&str>) -> String {
    let method = method.unwrap_or("HTTP");
    match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    }
}

pub(super) fn request_attributes<B>(
    config: &Config,
    request: &Request<B>,
    route: Option<&str>,
    attributes: &mut Vec<KeyValue>,
) {
    let uri = request.uri();
    // HTTP/2 requests carry their scheme; over HTTP/1 a server behind TLS
    // termination cannot tell, and plain HTTP is the likely case.
    let scheme = uri.scheme_str().unwrap_or("http");
    attributes.push(KeyValue::new("url.scheme", scheme.to_owned()));
    attributes.push(KeyValue::new("url.path", uri.path().to_owned()));
    if let Some(query) = uri.query() {
        attributes.push(KeyValue::new(
            "url.query",
            config.query.redact(query).into_owned(),
        ));
    }
    if let Some(route) = route {
        attributes.push(KeyValue::new("http.route", route.to_owned()));
    }
    if let Some((address, port)) = server_address(request, scheme) {
        attributes.push(KeyValue::new("server.address", address));
        if let Some(port) = port {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
    }
    let peer = (config.peer)(request.extensions());
    if let Some(client) =
        forwarded_for(request.headers()).or(peer.map(|peer| peer.ip().to_string()))
    {
        attributes.push(KeyValue::new("client.address", client));
    }
    if let Some(peer) = peer {
        attributes.push(KeyValue::new("network.peer.address", peer.ip().to_string()));
        attributes.push(KeyValue::new("network.peer.port", i64::from(peer.port())));
    }
    if let Some(agent) = request.headers().get(header::USER_AGENT) {
        attributes.push(KeyValue::new(
            "user_agent.original",
            String::from_utf8_lossy(agent.as_bytes()).into_owned(),
        ));
    }
    if let Some(version) = crate::http::protocol_version(request.version()) {
        attributes.push(KeyValue::new("network.protocol.version", version));
    }
    config.request_headers.record(request.headers(), attributes);
}

/// The host and port the client asked for: the URI's authority (HTTP/2's
/// `:authority`), else the `Host` header; without a port, the scheme's.
fn server_address<B>(request: &Request<B>, scheme: &str) -> Option<(String, Option<u16>)> {
    let authority = match request.uri().authority() {
        Some(authority) => authority.clone(),
        None => request
            .headers()
            .get(header::HOST)?
            .to_str()
            .ok()?
            .parse::<http::uri::Authority>()
            .ok()?,
    };
    // An IPv6 literal is written in brackets in a URL, not in the attribute.
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().or(match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    });
    Some((host.to_owned(), port))
}

/// The original client, as the first proxy saw it.
fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    let first = headers
        .get("x-forwarded-for")?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim();
    (!first.is_empty()).then(|| first.to_owned())
}

pub(super) fn response_attributes<B>(config: &Config, response: &Response<B>) -> Vec<KeyValue> {
    let status = response.status();
    let mut attributes = vec![KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    )];
    if status.is_server_error() {
        attributes.push(KeyValue::new("error.type", status.as_str().to_owned()));
    }
    config
        .response_headers
        .record(response.headers(), &mut attributes);
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_use_the_template_never_the_path() {
        assert_eq!(
            span_name(Some("GET"), Some("/users/{id}")),
            "GET /users/{id}"
        );
        assert_eq!(span_name(Some("GET"), None), "GET");
        assert_eq!(span_name(None, Some("/purge")), "HTTP /purge");
    }

    #[test]
    fn server_address_from_authority_or_host_with_the_default_port() {
        let request = Request::get("/")
            .header("host", "example.com")
            .body(())
            .unwrap();
        assert_eq!(
            server_address(&request, "http"),
            Some(("example.com".to_owned(), Some(80)))
        );
        let request = Request::get("https://[::1]:8443/").body(()).unwrap();
        assert_eq!(
            server_address(&request, "https"),
            Some(("::1".to_owned(), Some(8443)))
        );
        let request = Request::get("/").body(()).unwrap();
        assert_eq!(server_address(&request, "http"), None);
    }
}
