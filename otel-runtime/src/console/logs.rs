//! Log records on the console: in the tree of the trace they were written
//! in, or, outside any sampled span, as lines of their own.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use opentelemetry::InstrumentationScope;
use opentelemetry::logs::AnyValue;
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogProcessor, SdkLogRecord};

use super::Screen;
use super::render::LogLine;

/// Shows each log record as it is written: held for its trace's tree
/// when its span is sampled (and a console exporter prints trees), else
/// printed at once. Nothing is queued, so nothing is lost.
pub(crate) struct ConsoleLogs {
    screen: Arc<Screen>,
}

impl ConsoleLogs {
    /// On standard output, with the console exporter's trees.
    pub(crate) fn stdout() -> Self {
        ConsoleLogs {
            screen: Screen::stdout(),
        }
    }

    #[cfg(test)]
    pub(crate) fn new(screen: Arc<Screen>) -> Self {
        ConsoleLogs { screen }
    }
}

impl fmt::Debug for ConsoleLogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleLogs").finish_non_exhaustive()
    }
}

impl LogProcessor for ConsoleLogs {
    fn emit(&self, record: &mut SdkLogRecord, _: &InstrumentationScope) {
        let line = log_line(record);
        match record.trace_context() {
            Some(context) if context.trace_flags.is_some_and(|flags| flags.is_sampled()) => {
                self.screen.shelve(context.trace_id, line);
            }
            _ => self.screen.print_line(&line),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
}

/// What the console shows of `record`.
fn log_line(record: &SdkLogRecord) -> LogLine {
    LogLine {
        time: record
            .timestamp()
            .or(record.observed_timestamp())
            .unwrap_or_else(SystemTime::now),
        span_id: record
            .trace_context()
            .map_or(SpanId::INVALID, |context| context.span_id),
        level: record.severity_text().unwrap_or("INFO").to_owned(),
        target: record
            .target()
            .map(|target| target.to_string())
            .unwrap_or_default(),
        message: record.body().map(text).unwrap_or_default(),
        fields: record
            .attributes_iter()
            .map(|(key, value)| (key.to_string(), text(value)))
            .collect(),
    }
}

/// A value as text, strings without quotes.
fn text(value: &AnyValue) -> String {
    match value {
        AnyValue::String(text) => text.to_string(),
        AnyValue::Int(number) => number.to_string(),
        AnyValue::Double(number) => number.to_string(),
        AnyValue::Boolean(flag) => flag.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
    use opentelemetry::trace::{TraceContextExt as _, Tracer as _, TracerProvider as _};
    use opentelemetry_sdk::logs::SdkLoggerProvider;
    use opentelemetry_sdk::trace::SdkTracerProvider;

    use super::*;
    use crate::console::render::Style;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_record_shows_its_level_target_message_and_fields() {
        let out = Shared::default();
        let style = Style {
            color: false,
            width: 100,
        };
        let screen = Screen::new(Box::new(out.clone()), style);
        let logs = SdkLoggerProvider::builder()
            .with_log_processor(ConsoleLogs::new(screen))
            .build();
        let logger = logs.logger("test");
        let mut record = logger.create_log_record();
        record.set_severity_text("WARN");
        record.set_severity_number(Severity::Warn);
        record.set_target("shop::stock");
        record.set_body("stock is low".into());
        record.add_attribute("left", 3_i64);
        // Inside a span that no console exporter prints: at once, too.
        let tracer = SdkTracerProvider::builder().build().tracer("test");
        tracer.in_span("work", |cx| {
            assert!(cx.span().span_context().is_sampled());
            logger.emit(record);
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "WARN  shop::stock stock is low: left = 3\n");
    }
}
