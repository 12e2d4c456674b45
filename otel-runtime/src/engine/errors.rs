//! How an error becomes part of a span, in one place: an `Err` that a
//! traced call returns, a panic in a traced call, and a panic in an HTTP
//! handler all set status Error, `error.type`, and add one `exception`
//! event, as the semantic conventions describe.

use std::borrow::Cow;
use std::error::Error;
use std::fmt::{Debug, Display};

use opentelemetry::trace::{SpanRef, Status};
use opentelemetry::{Array, KeyValue, StringValue, Value};

use super::callsite::ErrorMode;
use super::limits;

/// What can be told of an error: its type's name, and what it shows.
pub(crate) struct ErrorText<'a> {
    pub type_name: &'static str,
    pub display: Option<&'a dyn Display>,
    pub debug: Option<&'a dyn Debug>,
    pub source: Option<&'a (dyn Error + 'static)>,
}

/// The `error.type` of an `Err`: its type's name, with the variant of an
/// enum (from its `Debug` text).
pub(crate) fn error_type_of(error: &ErrorText<'_>) -> Cow<'static, str> {
    let debug = error
        .debug
        .map(|debug| limits::format(format_args!("{debug:?}")));
    error_type(error.type_name, debug.as_deref())
}

/// Records an `Err`, as `mode` (the `err` and `exception` options) says.
pub(crate) fn record_error(span: &SpanRef<'_>, mode: ErrorMode, error: ErrorText<'_>) {
    if !mode.record {
        return;
    }
    let ErrorText {
        type_name,
        display,
        debug,
        source,
    } = error;
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
}

/// Records a panic: its message, and where it happened when known
/// (`file:line:column`).
pub(crate) fn record_panic(span: &SpanRef<'_>, message: String, location: Option<String>) {
    let mut attributes = vec![
        KeyValue::new("exception.type", "panic"),
        KeyValue::new("exception.message", message.clone()),
    ];
    if let Some(location) = location {
        attributes.push(KeyValue::new(
            "exception.stacktrace",
            format!("at {location}"),
        ));
    }
    span.set_attribute(KeyValue::new("error.type", "panic"));
    span.add_event("exception", attributes);
    span.set_status(Status::Error {
        description: Cow::Owned(message),
    });
}

/// Records an event that reports an error (a `tracing` event at `ERROR`
/// level): status Error with its message, and the event, with
/// `attributes`, as the span's `exception` event. No `error.type`: an
/// event names no type, and the call may still return an `Err` that does.
#[cfg(feature = "tracing")]
pub(crate) fn record_error_event(
    span: &SpanRef<'_>,
    message: String,
    mut attributes: Vec<KeyValue>,
) {
    attributes.push(KeyValue::new("exception.message", message.clone()));
    span.add_event("exception", attributes);
    span.set_status(Status::Error {
        description: Cow::Owned(message),
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
