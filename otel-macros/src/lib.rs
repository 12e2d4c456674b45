//! The `#[traced]` attribute. Use it through `otel_runtime`, whose
//! documentation is the manual: `otel_runtime::traced`.
#![forbid(unsafe_code)]

mod args;
mod ast;
mod attr;
mod expand;
mod outcome;
mod prologue;
mod rewrite;
#[cfg(test)]
mod snapshots;
mod types;
mod valid;

use proc_macro::TokenStream;

/// Wraps a function in an OpenTelemetry span. See `otel_runtime::traced`.
#[proc_macro_attribute]
pub fn traced(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::traced(attr.into(), item.into()).into()
}
