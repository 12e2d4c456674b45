//! `tracing` events as events of the span current where they are written.

use std::fmt;

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::{Context, KeyValue};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{self, Layer};

use crate::{engine, secrets};

/// Records each event on the span current in the OpenTelemetry context,
/// which is a traced call's or an entered `tracing` span's alike.
pub(super) struct Events;

impl<S: Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &Event<'_>, _: layer::Context<'_, S>) {
        if !Context::map_current(|cx| cx.span().is_recording()) {
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
        let message = fields.message.unwrap_or_else(|| meta.name().to_owned());
        let mut attributes = Vec::with_capacity(fields.attributes.len() + 4);
        attributes.push(KeyValue::new("level", meta.level().as_str()));
        attributes.push(KeyValue::new("target", meta.target().to_owned()));
        if let Some(file) = meta.file() {
            attributes.push(KeyValue::new("code.file.path", file.to_owned()));
        }
        if let Some(line) = meta.line() {
            attributes.push(KeyValue::new("code.line.number", i64::from(line)));
        }
        attributes.extend(fields.attributes);
        let cx = Context::current();
        let span = cx.span();
        if *meta.level() == Level::ERROR {
            engine::record_error_event(&span, message, attributes);
        } else {
            span.add_event(message, attributes);
        }
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
        let value = if secrets::is_secret(field.name()) {
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
