//! Recording what a call returned: an `Err` becomes status Error, `error.type`
//! and an `exception` event.
//!
//! The error's capabilities decide what can be recorded (its `Display`, its
//! `Debug`, its `source()` chain), and no bound may be asked of the user's
//! types. So the expansion probes the value with "autoref specialization":
//! `(&&&…Probe(&value)).__otel_outcome(span)` picks the impl with the most
//! references whose bounds hold, from an `Error` down to a type with nothing.

use std::borrow::Cow;
use std::error::Error;
use std::fmt::{Debug, Display};

use opentelemetry::trace::Status;
use opentelemetry::{Array, KeyValue, StringValue, Value};

use super::span::Active;
use crate::limits;

/// How a call site records errors; set by the `err` and `exception` options.
#[derive(Clone, Copy, Debug)]
pub struct ErrorMode {
    /// `false` with `err(off)`: an `Err` leaves the span untouched.
    pub record: bool,
    /// `false` with `exception = false`: status and `error.type` only.
    pub exception_event: bool,
    /// `true` with `err(Debug)`: the message is the error's `Debug` text.
    pub debug_message: bool,
}

/// A returned value under inspection; see the module docs.
pub struct Probe<'a, T>(pub &'a T);

/// Whether `pred` calls this `Err` an expected one (the `expected_err`
/// option): such a call leaves the status Unset.
pub fn is_expected<T, E>(value: &Result<T, E>, pred: impl FnOnce(&E) -> bool) -> bool {
    match value {
        Ok(_) => false,
        Err(error) => pred(error),
    }
}

/// The probe traits, one per level; the expansion imports them all.
pub mod probe_levels {
    use super::*;

    macro_rules! level {
        ($($trait:ident)*) => {$(
            #[doc(hidden)]
            pub trait $trait {
                fn __otel_outcome(&self, span: &Active);
            }
        )*};
    }
    level!(ViaAsRefError ViaError ViaDisplayDebug ViaDisplay ViaDebug ViaTypeName NotAResult);

    /// The levels that ask nothing of an error but its text: for an error
    /// type that is generic or borrowed. The probe picks a level by trait
    /// ignoring lifetimes, so an `Error` impl that needs `'static` (as
    /// `impl<T: Any> Error for CapacityError<T>`) would be picked for a
    /// `CapacityError<&str>`, and then fail to compile.
    pub mod text {
        pub use super::{NotAResult, ViaDebug, ViaDisplay, ViaDisplayDebug, ViaTypeName};
    }

    // anyhow::Error, eyre::Report, Box<dyn Error + Send + Sync>: not `Error`
    // themselves, but they lend one, with its source chain.
    impl<T, E> ViaAsRefError for &&&&&&Probe<'_, Result<T, E>>
    where
        E: AsRef<dyn Error + Send + Sync + 'static> + Display + Debug,
    {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                let sources = error.as_ref().source();
                record_error::<E>(span, Some(error), Some(error), sources);
            }
        }
    }

    impl<T, E: Error> ViaError for &&&&&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, Some(error), Some(error), error.source());
            }
        }
    }

    impl<T, E: Display + Debug> ViaDisplayDebug for &&&&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, Some(error), Some(error), None);
            }
        }
    }

    impl<T, E: Display> ViaDisplay for &&&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, Some(error), None, None);
            }
        }
    }

    impl<T, E: Debug> ViaDebug for &&Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if let Err(error) = self.0 {
                record_error::<E>(span, None, Some(error), None);
            }
        }
    }

    impl<T, E> ViaTypeName for &Probe<'_, Result<T, E>> {
        fn __otel_outcome(&self, span: &Active) {
            if self.0.is_err() {
                record_error::<E>(span, None, None, None);
            }
        }
    }

    impl<V> NotAResult for Probe<'_, V> {
        #[inline]
        fn __otel_outcome(&self, _span: &Active) {}
    }
}

fn record_error<E: ?Sized>(
    span: &Active,
    display: Option<&dyn Display>,
    debug: Option<&dyn Debug>,
    source: Option<&(dyn Error + 'static)>,
) {
    let mode = span.error_mode();
    if !mode.record {
        return;
    }
    span.with_span(|span| {
        let type_name = std::any::type_name::<E>();
        let debug_text = debug.map(|debug| limits::format(format_args!("{debug:?}")));
        let display_text = display.map(|display| limits::format(format_args!("{display}")));
        let message = if mode.debug_message {
            debug_text.clone().or(display_text)
        } else {
            display_text.or_else(|| debug_text.clone())
        }
        .unwrap_or_else(|| type_name.to_owned());

        span.set_attribute(KeyValue::new(
            "error.type",
            error_type(type_name, debug_text.as_deref()),
        ));
        if mode.exception_event {
            let mut attributes = vec![
                KeyValue::new("exception.type", type_name),
                KeyValue::new("exception.message", message.clone()),
            ];
            let chain = source_chain(source);
            if !chain.is_empty() {
                attributes.push(KeyValue::new(
                    "exception.source_chain",
                    Value::Array(Array::String(chain)),
                ));
            }
            span.add_event("exception", attributes);
        }
        span.set_status(Status::Error {
            description: Cow::Owned(message),
        });
    });
}

/// The `Display` text of each error in a `source()` chain, outermost first.
fn source_chain(mut source: Option<&(dyn Error + 'static)>) -> Vec<StringValue> {
    // A cyclic chain is a bug in the user's error type, not a reason to hang.
    const MAX_DEPTH: usize = 32;
    let mut chain = Vec::new();
    while let Some(error) = source {
        if chain.len() == MAX_DEPTH {
            break;
        }
        chain.push(StringValue::from(limits::format(format_args!("{error}"))));
        source = error.source();
    }
    chain
}

/// `error.type`: the error's type name, or `Type::Variant` when its `Debug`
/// text starts with a variant name (as derived `Debug` prints enums).
fn error_type(type_name: &'static str, debug: Option<&str>) -> Cow<'static, str> {
    let variant = debug.and_then(leading_variant);
    // `Box<dyn Error>`'s own name says nothing; its `Debug` is the boxed
    // error's, whose leading name (type or variant) says more.
    if type_name.starts_with("alloc::boxed::Box<dyn ") {
        return Cow::Owned(variant.unwrap_or("Box<dyn Error>").to_owned());
    }
    let Some(variant) = variant else {
        return Cow::Borrowed(type_name);
    };
    let without_generics = type_name.split('<').next().unwrap_or(type_name);
    let short_name = without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics);
    if variant == short_name {
        // A struct's derived `Debug` starts with the struct's own name.
        Cow::Borrowed(type_name)
    } else {
        Cow::Owned(format!("{without_generics}::{variant}"))
    }
}

/// `NotFound` in `NotFound`, `NotFound("x")` or `NotFound { key: 1 }`.
fn leading_variant(debug: &str) -> Option<&str> {
    let end = debug
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(debug.len());
    let (name, rest) = debug.split_at(end);
    let looks_like_variant = name.starts_with(|c: char| c.is_ascii_uppercase())
        && (rest.is_empty() || rest.starts_with('(') || rest.starts_with(" {"));
    looks_like_variant.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_names_the_variant_of_an_enum() {
        assert_eq!(
            error_type("app::Error", Some("NotFound(\"k\")")),
            "app::Error::NotFound"
        );
        assert_eq!(
            error_type("app::Error", Some("Timeout")),
            "app::Error::Timeout"
        );
        assert_eq!(
            error_type("app::Error<u8>", Some("Bad { at: 3 }")),
            "app::Error::Bad"
        );
    }

    #[test]
    fn error_type_is_the_type_name_for_structs_and_free_text() {
        assert_eq!(
            error_type("app::ParseError", Some("ParseError { at: 3 }")),
            "app::ParseError"
        );
        assert_eq!(
            error_type("anyhow::Error", Some("file not found")),
            "anyhow::Error"
        );
        assert_eq!(error_type("app::E", None), "app::E");
    }

    #[test]
    fn a_boxed_error_is_named_by_what_it_boxes() {
        let boxed = "alloc::boxed::Box<dyn core::error::Error + core::marker::Send>";
        assert_eq!(error_type(boxed, Some("NotFound(\"k\")")), "NotFound");
        assert_eq!(error_type(boxed, Some("\"free text\"")), "Box<dyn Error>");
    }
}
