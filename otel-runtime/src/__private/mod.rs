//! What `#[traced]` expansions call. Not a public API: names and signatures
//! change without notice. Every item here is reached through
//! `::otel_runtime::__private`, so the user's crate needs no other dependency.

mod arg;
mod clock;
mod direct;
mod future;
mod outcome;
pub(crate) mod panic;
mod provider;
mod question;
pub(crate) mod record;
mod reentry;
mod sampling;
mod span;
mod tracers;
mod value;

pub use crate::AttributeValue;
pub use arg::Arg;

pub use future::Instrumented;
pub use opentelemetry::trace::SpanKind;
pub use outcome::{ErrorMode, Probe, is_expected, probe_levels};
pub use question::{Branch, FromResidual, branch, from_residual};
pub use span::{Active, CallSite, Entered, Relations, Starting, function_name, start, start_with};
pub use std::boxed::Box;

pub(crate) use direct::{Pipeline, Processor, Shared};
pub(crate) use provider::{changed as provider_changed, parent_decides_from_now};
pub(crate) use record::Record;
pub(crate) use sampling::{by_trace_id, roots_decided_by};
pub(crate) use tracers::Installed;

/// Runs `f` with tracing off on this thread: a traced function it calls
/// makes no span. For the runtime's own set-up code.
pub fn untraced<R>(f: impl FnOnce() -> R) -> R {
    reentry::within(f)
}
pub use value::{ValueProbe, debug_value, display_value, value_levels};

/// `Some(name)`, or `"unknown"` outside cargo.
pub const fn or_unknown(name: Option<&'static str>) -> &'static str {
    match name {
        Some(name) => name,
        None => "unknown",
    }
}

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
