//! The attribute value length limit (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`),
//! which the SDK does not apply: text values keep at most that many
//! characters.
//!
//! It is applied twice, for two reasons. `Debug` and `Display` text that
//! this crate formats stops growing at the limit, so a huge value costs no
//! huge allocation on the caller's thread. Every other value (set through
//! the `opentelemetry` API, by any code) is cut on the export thread, just
//! before the exporter sees the span.
//!
//! Formatting here is also where a user's `Debug` or `Display` that panics
//! is caught: the value is recorded as `<formatting panicked>` and the
//! traced call goes on as it would untraced.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

/// No limit, the specification's default.
const UNLIMITED: usize = usize::MAX;

static VALUE_LENGTH: AtomicUsize = AtomicUsize::new(UNLIMITED);

/// Sets the limit for the rest of the process (`init` calls it once).
pub(crate) fn set_value_length(limit: Option<usize>) {
    VALUE_LENGTH.store(limit.unwrap_or(UNLIMITED), Ordering::Relaxed);
}

pub(crate) fn value_length() -> usize {
    VALUE_LENGTH.load(Ordering::Relaxed)
}

/// What a value whose `Debug` or `Display` panicked is recorded as.
pub(crate) const PANICKED: &str = "<formatting panicked>";

/// A user's `Debug` or `Display` implementation panicked.
pub(crate) struct Panicked;

/// Runs a user's `Debug` or `Display` implementation, writing into `out`:
/// the one place where the crate runs them, under `catch_unwind`, so that
/// one that panics leaves the traced call as it would be untraced.
pub(crate) fn write_user(
    out: &mut impl fmt::Write,
    args: fmt::Arguments<'_>,
) -> Result<fmt::Result, Panicked> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| out.write_fmt(args)))
        .map_err(|_| Panicked)
}

/// Formats `args`, keeping at most the limit's number of characters; the
/// text of one that panics is [`PANICKED`].
///
/// Not `fmt::format`, which panics when an implementation returns
/// `fmt::Error` of its own: the program's panic hook would run for a value
/// we only record. What was written before the error is kept. Under a
/// limit, an error only means the text reached it.
pub(crate) fn format(args: fmt::Arguments<'_>) -> String {
    let limit = value_length();
    let written = if limit == UNLIMITED {
        let mut text = String::new();
        write_user(&mut text, args).map(|_| text)
    } else {
        let mut bounded = Bounded {
            text: String::new(),
            chars_left: limit,
        };
        write_user(&mut bounded, args).map(|_| bounded.text)
    };
    written.unwrap_or_else(|Panicked| PANICKED.to_owned())
}

/// A `String` that refuses text past its limit, which makes a `Debug` or
/// `Display` implementation stop early instead of formatting it all.
struct Bounded {
    text: String,
    chars_left: usize,
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let kept = prefix(s, self.chars_left);
        self.text.push_str(kept);
        if kept.len() < s.len() {
            self.chars_left = 0;
            return Err(fmt::Error);
        }
        self.chars_left -= kept.chars().count();
        Ok(())
    }
}

/// The first `chars` characters of `text`.
pub(crate) fn prefix(text: &str, chars: usize) -> &str {
    // A byte count within the limit is a character count within it too.
    if text.len() <= chars {
        return text;
    }
    text.char_indices()
        .nth(chars)
        .map_or(text, |(end, _)| &text[..end])
}

fn cut(text: &mut StringValue, limit: usize) {
    let kept = prefix(text.as_str(), limit);
    if kept.len() < text.as_str().len() {
        *text = StringValue::from(kept.to_owned());
    }
}

fn cut_value(value: &mut Value, limit: usize) {
    match value {
        Value::String(text) => cut(text, limit),
        Value::Array(Array::String(texts)) => {
            texts.iter_mut().for_each(|text| cut(text, limit));
        }
        _ => {}
    }
}

fn cut_all(attributes: &mut [KeyValue], limit: usize) {
    for attribute in attributes {
        cut_value(&mut attribute.value, limit);
    }
}

/// Cuts every text value of `span`: its attributes, its events' and its
/// links'.
pub(crate) fn cut_span(span: &mut SpanData, limit: usize) {
    cut_all(&mut span.attributes, limit);
    for event in &mut span.events.events {
        cut_all(&mut event.attributes, limit);
    }
    for link in &mut span.links.links {
        cut_all(&mut link.attributes, limit);
    }
}

/// An exporter whose spans have their text values cut to the limit first.
#[derive(Debug)]
pub(crate) struct Truncating<E>(pub E);

impl<E: SpanExporter> SpanExporter for Truncating<E> {
    async fn export(&self, mut batch: Vec<SpanData>) -> OTelSdkResult {
        let limit = value_length();
        if limit != UNLIMITED {
            batch.iter_mut().for_each(|span| cut_span(span, limit));
        }
        self.0.export(batch).await
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.0.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn bounded(limit: usize, args: fmt::Arguments<'_>) -> String {
        let mut bounded = Bounded {
            text: String::new(),
            chars_left: limit,
        };
        let _ = bounded.write_fmt(args);
        bounded.text
    }

    #[test]
    fn prefixes_count_characters_not_bytes() {
        assert_eq!(prefix("héllo wörld", 7), "héllo w");
        assert_eq!(prefix("日本語", 2), "日本");
        assert_eq!(prefix("short", 10), "short");
        assert_eq!(prefix("", 0), "");
        assert_eq!(prefix("abc", 0), "");
    }

    #[test]
    fn formatting_stops_at_the_limit() {
        // A value whose `Debug` would be unbounded: the writer refuses the
        // rest, so formatting ends after the first refused write.
        struct Endless;
        impl fmt::Debug for Endless {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                loop {
                    f.write_str("ab")?;
                }
            }
        }
        assert_eq!(bounded(5, format_args!("{:?}", Endless)), "ababa");
        assert_eq!(bounded(3, format_args!("{:?}", vec!["é"; 3])), "[\"é");
        assert_eq!(bounded(100, format_args!("{}", 42)), "42");
    }

    #[test]
    fn an_implementation_that_fails_keeps_what_it_wrote_without_a_panic() {
        struct Fails;
        impl fmt::Display for Fails {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("partial")?;
                Err(fmt::Error)
            }
        }
        // Not `<formatting panicked>`: no panic was raised (and caught).
        assert_eq!(format(format_args!("{Fails}")), "partial");
        assert_eq!(bounded(3, format_args!("{Fails}")), "par");
    }

    #[test]
    fn spans_are_cut_everywhere_text_lives() {
        let mut value = Value::Array(Array::String(vec!["abcdef".into(), "ab".into()]));
        cut_value(&mut value, 3);
        assert_eq!(
            value,
            Value::Array(Array::String(vec!["abc".into(), "ab".into()]))
        );
        let mut attributes = vec![
            KeyValue::new("text", "abcdef"),
            KeyValue::new("number", 123_456_789),
        ];
        cut_all(&mut attributes, 2);
        assert_eq!(attributes[0].value, Value::from("ab"));
        assert_eq!(attributes[1].value, Value::I64(123_456_789));
    }
}
