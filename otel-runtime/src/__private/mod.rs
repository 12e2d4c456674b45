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
pub use outcome::{Probe, is_expected, probe_levels, return_levels};
pub use question::{Branch, FromResidual, Residual, branch};
pub use std::boxed::Box;
pub use value::{ValueProbe, debug_value, display_value, value_levels};

/// The call site of the function whose expansion names it: a macro, so
/// that cargo's variables are read where the expansion compiles, not here,
/// and the function's path from a marker `fn` declared in it. The call's
/// place, which `Scope::call_site` reports as the function's, is this
/// macro's: the expansion writes it at the function's name.
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_call_site {
    ($name:expr) => {{
        fn __otel_here() {}
        $crate::__private::Scope::new(
            ::core::option_env!("CARGO_PKG_NAME"),
            ::core::option_env!("CARGO_PKG_VERSION"),
        )
        .call_site($name, __otel_here)
    }};
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

/// Records what a call returned, given the span and a reference to the
/// value: `outcome!(span, &value, [text | off,] [expected = pred,] [ret[(Debug | Display)]])`.
///
/// - An `Err` becomes an `exception` (unless `off`). Dispatch is by trait,
///   from most to least capable error type; with `text`, an error that may
///   borrow is recorded by its text alone, without asking whether it is an
///   `Error` (see `probe_levels::text`). With `expected`, an `Err` that
///   `pred` accepts is left alone.
/// - With `ret`, the value (a `Result`'s `Ok` value, chosen by trait) is
///   recorded under `return`, when the span records.
///
/// Statements, not a block: the first one allows `unreachable_code`, which
/// after a body that never returns is no news to the user, and the compiler
/// warns of the first unreachable statement only.
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_outcome {
    (@options $s:ident, $v:ident, $e:tt, $x:tt; text $(, $($rest:tt)*)?) => {
        $crate::__otel_outcome!(@options $s, $v, [text], $x; $($($rest)*)?)
    };
    (@options $s:ident, $v:ident, $e:tt, $x:tt; off $(, $($rest:tt)*)?) => {
        $crate::__otel_outcome!(@options $s, $v, off, $x; $($($rest)*)?)
    };
    (@options $s:ident, $v:ident, $e:tt, $x:tt; expected = $pred:expr $(, $($rest:tt)*)?) => {
        $crate::__otel_outcome!(@options $s, $v, $e, [$pred]; $($($rest)*)?)
    };
    (@options $s:ident, $v:ident, $e:tt, $x:tt; $($ret:ident $(($format:ident))?)?) => {
        $crate::__otel_outcome!(@errors $s, $v, $e, $x);
        $($crate::__otel_outcome!(@$ret $s, $v, $($format)?);)?
    };
    (@errors $s:ident, $v:ident, off, $x:tt) => {};
    (@errors $s:ident, $v:ident, [$($text:ident)?], [$($pred:expr)?]) => {
        $(if !$crate::__private::is_expected($v, $pred))? {
            #[allow(unused_imports)]
            use $crate::__private::probe_levels::$($text::)?*;
            (&&&&&&&$crate::__private::Probe($v)).__otel_outcome($s);
        }
    };
    (@ret $s:ident, $v:ident, $($format:ident)?) => {
        if $s.is_recording() {
            #[allow(unused_imports)]
            use $crate::__private::return_levels::*;
            if let ::core::option::Option::Some(returned) =
                (&&$crate::__private::Probe($v)).__otel_returned()
            {
                $s.record_return($crate::__otel_outcome!(@format returned $($format)?));
            }
        }
    };
    (@format $r:ident) => { $crate::__private::value!($r) };
    (@format $r:ident Debug) => { $crate::__private::debug_value($r) };
    (@format $r:ident Display) => { $crate::__private::display_value($r) };
    ($span:expr, $value:expr $(, $($option:tt)*)?) => {
        #[allow(unreachable_code)]
        let (span, value) = ($span, $value);
        $crate::__otel_outcome!(@options span, value, [], []; $($($option)*)?);
    };
}
pub use crate::__otel_outcome as outcome;

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

/// A value of any type, to name the output type of an `async fn`'s block
/// in a `return` that never runs.
pub fn hint<T>() -> T {
    unreachable!("a type hint, never called")
}

/// Records an argument under its name: its value (see `value!`), or
/// `[REDACTED]` when the name is a secret's: the list's, decided at compile
/// time, or one the program added (one atomic load when none was).
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_arg {
    ($span:ident, $key:literal, $value:expr) => {
        $span.attr(
            $key,
            if const { $crate::secrets::is_secret($key) } || $crate::secrets::is_added($key) {
                $crate::__private::redacted()
            } else {
                $crate::__private::value!($value)
            },
        )
    };
}
pub use crate::__otel_arg as arg;

/// The value of an argument whose name marks a secret.
pub fn redacted() -> Option<Arg> {
    Some(Arg::Value(opentelemetry::Value::String(
        "[REDACTED]".into(),
    )))
}
