//! An argument's value as a recording span keeps it until the export
//! thread turns the span into the SDK's `SpanData`.
//!
//! OpenTelemetry's `Value` holds text in an allocation of its own, which the
//! export thread frees: a `&str` argument recorded as a `Value` costs the
//! calling thread an allocation, and both threads a turn at the allocator's
//! shared lock. Short text is kept inline here instead, and becomes a
//! `Value` on the export thread.

use std::fmt::{self, Write as _};

use opentelemetry::Value;

use crate::limits;

/// How many bytes of text are kept inline: as many as fit, with their
/// length and the tag, in the 40 bytes that an `Arg` holding a `Value`
/// takes anyway.
const SHORT: usize = 38;

/// An argument's value: OpenTelemetry's own, or short text kept inline.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Value(Value),
    Short(ShortText),
}

/// Text of at most [`SHORT`] bytes, kept inline.
#[doc(hidden)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortText {
    len: u8,
    bytes: [u8; SHORT],
}

impl Arg {
    /// `text`, inline when it is short.
    #[inline]
    pub fn text(text: &str) -> Arg {
        let mut short = ShortText::EMPTY;
        match short.write_str(text) {
            Ok(()) => Arg::Short(short),
            Err(fmt::Error) => Arg::Value(Value::String(text.to_owned().into())),
        }
    }

    /// The text that `args` formats to, inline when it is short, under the
    /// value length limit (see `limits`) either way.
    pub(crate) fn formatted(args: fmt::Arguments<'_>) -> Arg {
        // Inline text holds at most `SHORT` characters, so it is within any
        // limit of that many or more.
        if limits::value_length() >= SHORT {
            let mut short = ShortText::EMPTY;
            let written =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| short.write_fmt(args)));
            match written {
                Ok(Ok(())) => return Arg::Short(short),
                // Too long for inline text (or an implementation's own
                // error): formatted again, the long way, which keeps what
                // an implementation wrote before its error.
                Ok(Err(fmt::Error)) => {}
                Err(_) => return Arg::Value(Value::String(limits::PANICKED.into())),
            }
        }
        Arg::Value(Value::String(limits::format(args).into()))
    }

    /// The OpenTelemetry value, allocated now for inline text.
    pub fn into_value(self) -> Value {
        match self {
            Arg::Value(value) => value,
            Arg::Short(short) => Value::String(short.as_str().to_owned().into()),
        }
    }
}

impl From<Value> for Arg {
    #[inline]
    fn from(value: Value) -> Arg {
        Arg::Value(value)
    }
}

impl ShortText {
    const EMPTY: ShortText = ShortText {
        len: 0,
        bytes: [0; SHORT],
    };

    fn as_str(&self) -> &str {
        // Only whole `str`s are ever written, so the bytes are UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Write for ShortText {
    /// Refuses what does not fit, whole: a refused write ends formatting.
    #[inline]
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let start = usize::from(self.len);
        let end = start + text.len();
        let room = self.bytes.get_mut(start..end).ok_or(fmt::Error)?;
        room.copy_from_slice(text.as_bytes());
        // At most `SHORT`, which fits a `u8`.
        self.len = end as u8;
        Ok(())
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
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
