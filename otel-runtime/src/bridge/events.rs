//! `tracing` events as log records (`crate::logs`), as events of the span
//! current where they are written, or both ([`TracingEvents`]). Recorded
//! here rather than by `opentelemetry-appender-tracing`, for the same
//! fields on either side: a `log` record's own target and place, typed
//! values whose formatting may panic without harm, secrets redacted, and
//! the code location under today's semantic-convention names.
//!
//! [`TracingEvents`]: crate::TracingEvents

use std::fmt;
use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, Severity};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::{Context, KeyValue, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{self, Layer};

use crate::{engine, logs, secrets};

/// Records each event as a log record, and on the span current in the
/// OpenTelemetry context (a traced call's or an entered `tracing` span's
/// alike): as a span event when asked, and always as the span's error
/// when at `ERROR` level.
pub(super) struct Events;

impl<S: Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &Event<'_>, _: layer::Context<'_, S>) {
        let logger = logs::logger();
        let in_span = Context::map_current(|cx| cx.span().is_recording());
        let error = *event.metadata().level() == Level::ERROR;
        let span_event = in_span && (error || logs::as_span_events());
        if logger.is_none() && !span_event {
            return;
        }
        // A `log` record's event comes from one call site per level; its
        // own target and place are in its fields.
        #[cfg(feature = "log")]
        let normalized = tracing_log::NormalizeEvent::normalized_metadata(event);
        #[cfg(feature = "log")]
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        #[cfg(not(feature = "log"))]
        let meta = event.metadata();
        let mut fields = Fields::default();
        // A field's `Debug` may call traced code: it runs untraced.
        engine::untraced(|| event.record(&mut fields));
        if let Some(logger) = logger {
            let mut record = logger.create_log_record();
            record.set_timestamp(SystemTime::now());
            record.set_severity_number(severity(meta.level()));
            record.set_severity_text(meta.level().as_str());
            record.set_target(meta.target().to_owned());
            // An event without a message (sqlx's queries: fields only) has
            // no body.
            if let Some(message) = &fields.message {
                record.set_body(message.clone().into());
            }
            record.add_attributes(
                place(meta)
                    .into_iter()
                    .chain(fields.attributes.iter().cloned())
                    .map(|KeyValue { key, value, .. }| (key, any(value))),
            );
            logger.emit(record);
        }
        if span_event {
            // A span event needs a name: its target, for one without a
            // message.
            let message = fields.message.unwrap_or_else(|| meta.target().to_owned());
            let mut attributes = Vec::with_capacity(fields.attributes.len() + 4);
            attributes.push(KeyValue::new("level", meta.level().as_str()));
            attributes.push(KeyValue::new("target", meta.target().to_owned()));
            attributes.extend(place(meta));
            attributes.extend(fields.attributes);
            let cx = Context::current();
            let span = cx.span();
            if error {
                engine::record_error_event(&span, message, attributes);
            } else {
                span.add_event(message, attributes);
            }
        }
    }
}

/// Where in the code the event was written.
fn place(meta: &Metadata<'_>) -> Vec<KeyValue> {
    let mut place = Vec::with_capacity(2);
    if let Some(file) = meta.file() {
        place.push(KeyValue::new("code.file.path", file.to_owned()));
    }
    if let Some(line) = meta.line() {
        place.push(KeyValue::new("code.line.number", i64::from(line)));
    }
    place
}

/// The severity number of a level, as the logs data model maps them.
fn severity(level: &Level) -> Severity {
    match *level {
        Level::TRACE => Severity::Trace,
        Level::DEBUG => Severity::Debug,
        Level::INFO => Severity::Info,
        Level::WARN => Severity::Warn,
        Level::ERROR => Severity::Error,
    }
}

/// An attribute's value as a log record's.
fn any(value: Value) -> AnyValue {
    match value {
        Value::Bool(flag) => AnyValue::Boolean(flag),
        Value::I64(number) => AnyValue::Int(number),
        Value::F64(number) => AnyValue::Double(number),
        Value::String(text) => AnyValue::String(text),
        other => AnyValue::String(other.to_string().into()),
    }
}

/// An event's fields: its message, and the others as typed attributes,
/// recorded as a traced function's arguments are (numbers and booleans as
/// such, other values by their text within the length limit, secrets'
/// names as `[REDACTED]`).
#[derive(Default)]
struct Fields {
    message: Option<String>,
    attributes: Vec<KeyValue>,
}

impl Fields {
    fn push(&mut self, field: &Field, value: impl Into<opentelemetry::Value>) {
        // A `log` record's target and place, taken as the event's own.
        if field.name().starts_with("log.") {
            return;
        }
        let value = if secrets::is_secret(field.name()) || secrets::is_added(field.name()) {
            "[REDACTED]".into()
        } else {
            value.into()
        };
        self.attributes.push(KeyValue::new(field.name(), value));
    }
}

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match i64::try_from(value) {
            Ok(value) => self.push(field, value),
            Err(_) => self.push(field, value.to_string()),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.push(field, engine::format_user(format_args!("{value}")));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = engine::format_user(format_args!("{value:?}"));
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.push(field, text);
        }
    }
}
