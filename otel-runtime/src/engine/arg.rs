//! An argument's value as a recording span keeps it until the export
//! thread turns the span into the SDK's `SpanData`.
//!
//! OpenTelemetry's `Value` holds text in an allocation of its own, which the
//! export thread frees: a `&str` argument recorded as a `Value` costs the
//! calling thread an allocation, and both threads a turn at the allocator's
//! shared lock. Short text is kept inline here instead, and becomes a
//! `Value` on the export thread.

use std::fmt;

use arrayvec::ArrayString;
use opentelemetry::Value;

use super::limits;

/// How many bytes of text are kept inline: as many as fit, with their
/// length and the tag, in the 40 bytes that an `Arg` holding a `Value`
/// takes anyway.
const SHORT: usize = 32;

/// An argument's value: OpenTelemetry's own, or short text kept inline.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Value(Value),
    Short(ArrayString<SHORT>),
}

impl Arg {
    /// `text`, inline when it is short.
    #[inline]
    pub fn text(text: &str) -> Arg {
        match ArrayString::from(text) {
            Ok(short) => Arg::Short(short),
            Err(_) => Arg::Value(Value::String(text.to_owned().into())),
        }
    }

    /// The text that `args` formats to, inline when it is short, under the
    /// value length limit (see `limits`) either way.
    pub(crate) fn formatted(args: fmt::Arguments<'_>) -> Arg {
        // Inline text holds at most `SHORT` characters, so it is within any
        // limit of that many or more.
        if limits::value_length() >= SHORT {
            let mut short = ArrayString::new();
            match limits::write_user(&mut short, args) {
                Ok(Ok(())) => return Arg::Short(short),
                // Too long for inline text (or an implementation's own
                // error): formatted again, the long way, which keeps what
                // an implementation wrote before its error. Such a value's
                // implementation runs twice; the first run stops at the
                // first piece that does not fit.
                Ok(Err(fmt::Error)) => {}
                Err(limits::Panicked) => return Arg::Value(Value::String(limits::PANICKED.into())),
            }
        }
        Arg::Value(Value::String(limits::format(args).into()))
    }

    /// The OpenTelemetry value, allocated now for inline text.
    pub fn into_value(self) -> Value {
        match self {
            Arg::Value(value) => value,
            Arg::Short(short) => Value::String(String::from(short.as_str()).into()),
        }
    }
}

impl From<Value> for Arg {
    #[inline]
    fn from(value: Value) -> Arg {
        Arg::Value(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_inline_and_long_text_a_value() {
        let short = "a".repeat(SHORT);
        assert!(matches!(Arg::text(&short), Arg::Short(_)));
        assert_eq!(Arg::text(&short).into_value(), Value::from(short.clone()));
        let long = "é".repeat(SHORT);
        assert!(matches!(Arg::text(&long), Arg::Value(_)));
        assert_eq!(Arg::text(&long).into_value(), Value::from(long));
        assert_eq!(Arg::text("").into_value(), Value::from(""));
    }

    #[test]
    fn formatted_text_is_inline_when_short_and_whole_when_long() {
        let short = Arg::formatted(format_args!("{:?}", Some(7)));
        assert!(matches!(short, Arg::Short(_)));
        assert_eq!(short.into_value(), Value::from("Some(7)"));
        let numbers: Vec<u32> = (0..40).collect();
        let long = Arg::formatted(format_args!("{numbers:?}"));
        assert_eq!(long.into_value(), Value::from(format!("{numbers:?}")));
    }

    #[test]
    fn a_panicking_implementation_is_recorded_as_such() {
        struct Panics;
        impl fmt::Debug for Panics {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                panic!("no");
            }
        }
        let value = Arg::formatted(format_args!("{Panics:?}")).into_value();
        assert_eq!(value, Value::from(limits::PANICKED));
    }
}
