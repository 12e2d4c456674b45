//! What `#[traced]` expansions call. Not a public API: names and signatures
//! change without notice. Every item here is reached through
//! `::otel_runtime::__private`, so the user's crate needs no other dependency.

mod outcome;
mod question;
mod value;

pub use crate::AttributeValue;
pub use crate::engine::{
    Active, Arg, CallSite, Entered, ErrorMode, Instrumented, Relations, Scope, Starting, start,
    start_with,
};
pub use opentelemetry::trace::SpanKind;
pub use outcome::{Probe, is_expected, probe_levels};
pub use question::{Branch, FromResidual, branch, from_residual};
pub use std::boxed::Box;
pub use value::{ValueProbe, debug_value, display_value, value_levels};

/// `Scope::call_site` in the crate being compiled: a macro, so that
/// cargo's variables are read where the expansion compiles, not here. The
/// call's place, which `call_site` reports as the function's, is this
/// macro's: the expansion writes it at the function's name.
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_call_site {
    ($name:expr, $marker:ident) => {
        $crate::__private::Scope::new(
            ::core::option_env!("CARGO_PKG_NAME"),
            ::core::option_env!("CARGO_PKG_VERSION"),
        )
        .call_site($name, $marker)
    };
}
pub use crate::__otel_call_site as call_site;

/// The `Output = …` of an `async fn` rewritten as `fn … -> impl Future`.
///
/// Why a `macro_rules!` and not tokens from the proc macro: the return type
/// must capture every lifetime of the signature, as the `async fn` did. The
/// 2024 edition's rule for `impl Trait` does exactly that, and an `impl`
/// token written here carries this crate's edition whatever the user's is.
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_async_fn {
    (
        attrs($($attr:tt)*) head($($head:tt)*) params($($params:tt)*)
        output($($output:tt)*) where($($where:tt)*) body $body:block
    ) => {
        $($attr)*
        $($head)* ($($params)*) -> impl ::core::future::Future<Output = $($output)*> $($where)* $body
    };
}
pub use crate::__otel_async_fn as async_fn;

/// Records the outcome held behind a reference (an `Err` becomes an
/// `exception`). Dispatch is by trait, from most to least capable error type;
/// with `text:`, an error that may borrow is recorded by its text alone,
/// without asking whether it is an `Error` (see `probe_levels::text`).
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_observe_ref {
    (text: $span:expr, $value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::probe_levels::text::*;
        (&&&&&&&$crate::__private::Probe($value)).__otel_outcome($span)
    }};
    ($span:expr, $value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::probe_levels::*;
        (&&&&&&&$crate::__private::Probe($value)).__otel_outcome($span)
    }};
}
pub use crate::__otel_observe_ref as observe_ref;

/// Converts a reference to any value into an attribute value: OpenTelemetry's
/// own types where the type has one, its `Debug` text otherwise, its type name
/// where it has neither. Evaluated only when the span is recording.
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_value {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::value_levels::*;
        (&&&&$crate::__private::ValueProbe($value)).__otel_value()
    }};
}
pub use crate::__otel_value as value;

/// The value of an argument whose name marks a secret.
pub fn redacted() -> Option<Arg> {
    Some(Arg::Value(opentelemetry::Value::String(
        "[REDACTED]".into(),
    )))
}
