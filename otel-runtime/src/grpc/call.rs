//! One call's span and duration, from its start to its status: the rules
//! that the server and the client share.

use std::time::Instant;

use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, global};

use super::status::{self, Side};

/// How a call ended.
pub(super) enum Outcome {
    /// With a status, from the trailers or a trailers-only response.
    Status(i64, String),
    /// Without one: the service or the body failed (`error.type`, and a
    /// description).
    Failed(String, String),
    /// Dropped before its status arrived: the caller went away, or the
    /// client stopped reading a stream.
    Cancelled,
}

/// A call's span and its duration, from [`Call::start`] until
/// [`Call::finish`], or until it is dropped (the call cancelled).
pub(super) struct Call {
    cx: Context,
    side: Side,
    started: Instant,
    /// `rpc.system`, `rpc.service` and `rpc.method`: the duration's
    /// attributes, with the status code.
    rpc: Vec<KeyValue>,
    finished: bool,
    /// Set when a poll of the handler panicked: the span has its error
    /// already, and no status was sent.
    pub(super) panicked: bool,
}

/// `rpc.service` and `rpc.method` of a request's path
/// (`/shop.Orders/Place`), and the span's name (`shop.Orders/Place`).
pub(super) fn method(path: &str) -> (String, Vec<KeyValue>) {
    let name = path.strip_prefix('/').unwrap_or(path);
    let mut rpc = vec![KeyValue::new("rpc.system", "grpc")];
    match name.split_once('/') {
        Some((service, method)) => {
            rpc.push(KeyValue::new("rpc.service", service.to_owned()));
            rpc.push(KeyValue::new("rpc.method", method.to_owned()));
        }
        None => rpc.push(KeyValue::new("rpc.service", name.to_owned())),
    }
    (name.to_owned(), rpc)
}

impl Call {
    /// Starts the span of a call to `path`, a child of `parent`, with the
    /// `rpc.*` attributes and `more` (addresses) set at the start, where a
    /// sampler sees them.
    pub(super) fn start(side: Side, parent: &Context, path: &str, more: Vec<KeyValue>) -> Call {
        let (name, rpc) = method(path);
        let tracer = global::tracer_with_scope(crate::engine::metrics_scope());
        let mut attributes = rpc.clone();
        attributes.extend(more);
        let kind = match side {
            Side::Server => SpanKind::Server,
            Side::Client => SpanKind::Client,
        };
        let builder = tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes);
        let span = tracer.build_with_context(builder, parent);
        Call {
            cx: parent.with_span(span),
            side,
            started: Instant::now(),
            rpc,
            finished: false,
            panicked: false,
        }
    }

    /// Which side of the call the span stands for.
    pub(super) fn side(&self) -> Side {
        self.side
    }

    /// The context with the call's span (and the caller's baggage).
    pub(super) fn context(&self) -> &Context {
        &self.cx
    }

    /// Records how the call ended and ends its span.
    pub(super) fn finish(mut self, outcome: Outcome) {
        self.end(outcome);
    }

    fn end(&mut self, outcome: Outcome) {
        self.finished = true;
        let code = match &outcome {
            Outcome::Status(code, _) => Some(*code),
            Outcome::Cancelled => Some(status::CANCELLED),
            Outcome::Failed(..) => None,
        };
        self.record_duration(code);
        let span = self.cx.span();
        if span.is_recording() {
            match outcome {
                Outcome::Status(code, message) => self.record_status(code, message),
                Outcome::Cancelled => self.record_status(
                    status::CANCELLED,
                    "the call was dropped before its status".to_owned(),
                ),
                Outcome::Failed(kind, description) => {
                    span.set_attribute(KeyValue::new("error.type", kind));
                    span.set_status(Status::error(description));
                }
            }
        }
        span.end();
    }

    fn record_status(&self, code: i64, message: String) {
        let span = self.cx.span();
        span.set_attribute(KeyValue::new("rpc.grpc.status_code", code));
        if status::is_error(self.side, code) {
            span.set_attribute(KeyValue::new("error.type", status::name(code)));
            span.set_status(Status::error(message));
        }
    }

    fn record_duration(&mut self, code: Option<i64>) {
        let milliseconds = self.started.elapsed().as_secs_f64() * 1e3;
        let mut attributes = std::mem::take(&mut self.rpc);
        if let Some(code) = code {
            attributes.push(KeyValue::new("rpc.grpc.status_code", code));
        }
        let histogram = match self.side {
            Side::Server => super::metrics::server_duration(),
            Side::Client => super::metrics::client_duration(),
        };
        histogram.record(milliseconds, &attributes);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if self.panicked {
            // The panic is the span's error; no status was sent.
            self.finished = true;
            self.record_duration(None);
            self.cx.span().end();
        } else {
            self.end(Outcome::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_gives_the_name_service_and_method() {
        let (name, rpc) = method("/shop.v1.Orders/Place");
        assert_eq!(name, "shop.v1.Orders/Place");
        assert_eq!(
            rpc,
            [
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", "shop.v1.Orders"),
                KeyValue::new("rpc.method", "Place"),
            ]
        );
        let (name, rpc) = method("/odd");
        assert_eq!(name, "odd");
        assert_eq!(rpc.len(), 2);
    }
}
