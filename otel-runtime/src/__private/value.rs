//! Turning an argument (or a `fields` value, or `ret`) into an attribute
//! value with OpenTelemetry's own types, without asking any bound of it.
//!
//! Same dispatch as in `outcome`: `(&&&&ValueProbe(&v)).__otel_value()`
//! takes the first level whose bounds hold:
//! 1. a type with an OpenTelemetry form (integers, floats, `bool`, strings,
//!    `Option`s and references of those) → Int, Double, Bool or String;
//! 2. an `Option` of a `Debug` type → the inner value's `Debug` text, or no
//!    attribute for `None`;
//! 3. a `Debug` type → its `Debug` text;
//! 4. anything else → its type name.

use std::fmt::{Debug, Display};

use opentelemetry::Value;

use crate::AttributeValue;
use crate::engine::Arg;

/// A value under inspection; see the module docs.
pub struct ValueProbe<'a, T: ?Sized>(pub &'a T);

/// The probe traits, one per level; the expansion imports them all.
pub mod value_levels {
    use super::*;

    #[doc(hidden)]
    pub trait ViaAttributeValue {
        fn __otel_value(&self) -> Option<Arg>;
    }
    #[doc(hidden)]
    pub trait ViaOptionDebug {
        fn __otel_value(&self) -> Option<Arg>;
    }
    #[doc(hidden)]
    pub trait ViaDebug {
        fn __otel_value(&self) -> Option<Arg>;
    }
    #[doc(hidden)]
    pub trait ViaTypeName {
        fn __otel_value(&self) -> Option<Arg>;
    }

    impl<T: AttributeValue + ?Sized> ViaAttributeValue for &&&ValueProbe<'_, T> {
        #[inline]
        fn __otel_value(&self) -> Option<Arg> {
            self.0.__otel_arg()
        }
    }

    impl<T: Debug> ViaOptionDebug for &&ValueProbe<'_, Option<T>> {
        fn __otel_value(&self) -> Option<Arg> {
            self.0
                .as_ref()
                .map(|inner| Arg::formatted(format_args!("{inner:?}")))
        }
    }

    impl<T: Debug + ?Sized> ViaDebug for &ValueProbe<'_, T> {
        fn __otel_value(&self) -> Option<Arg> {
            Some(Arg::formatted(format_args!("{:?}", self.0)))
        }
    }

    impl<T: ?Sized> ViaTypeName for ValueProbe<'_, T> {
        fn __otel_value(&self) -> Option<Arg> {
            Some(Arg::Value(Value::String(std::any::type_name::<T>().into())))
        }
    }
}

/// A value's `Debug` text (the `?value` form of `fields`, `ret(Debug)`).
pub fn debug_value<T: Debug + ?Sized>(value: &T) -> Option<Arg> {
    Some(Arg::formatted(format_args!("{value:?}")))
}

/// A value's `Display` text (the `%value` form of `fields`).
pub fn display_value<T: Display + ?Sized>(value: &T) -> Option<Arg> {
    Some(Arg::formatted(format_args!("{value}")))
}

#[cfg(test)]
#[allow(clippy::needless_borrow)] // The extra references are the point.
mod tests {
    use super::value_levels::*;
    use super::*;

    #[test]
    fn integers_beyond_i64_become_text() {
        assert_eq!(
            u64::MAX.attribute_value(),
            Some(Value::String(u64::MAX.to_string().into()))
        );
        assert_eq!(7u64.attribute_value(), Some(Value::I64(7)));
        assert_eq!((-3i128).attribute_value(), Some(Value::I64(-3)));
    }

    #[test]
    fn levels_pick_the_richest_form() {
        let value = |arg: Option<Arg>| arg.map(Arg::into_value);
        struct Opaque;
        #[derive(Debug)]
        struct Shown(#[allow(dead_code)] u8);
        assert_eq!(
            value((&&&&ValueProbe(&Some(3u8))).__otel_value()),
            Some(Value::I64(3))
        );
        assert_eq!(value((&&&&ValueProbe(&None::<u8>)).__otel_value()), None);
        assert_eq!(
            value((&&&&ValueProbe(&Some(Shown(1)))).__otel_value()),
            Some("Shown(1)".into())
        );
        assert_eq!(
            value((&&&&ValueProbe(&Shown(2))).__otel_value()),
            Some("Shown(2)".into())
        );
        assert_eq!(
            value((&&&&ValueProbe(&"text")).__otel_value()),
            Some("text".into())
        );
        let name = value((&&&&ValueProbe(&Opaque)).__otel_value());
        assert!(matches!(name, Some(Value::String(s)) if s.as_str().ends_with("Opaque")));
    }
}
