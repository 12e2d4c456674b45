//! Trace Rust code with OpenTelemetry: annotate a function with
//! [`#[traced]`](traced), and every call becomes a span.
//!
//! ```
//! use otel_runtime::traced;
//!
//! #[traced]
//! fn charge(user_id: u64, amount: f64) -> Result<String, std::io::Error> {
//!     otel_runtime::set_attribute("api_version", "2023-10-16");
//!     Ok(format!("ch_{user_id}"))
//! }
//!
//! # let (_, spans) = otel_runtime::testing::capture(|| charge(42, 99.99));
//! # use otel_runtime::testing::SpanDataExt;
//! # assert_eq!(spans.named("charge").attr("user_id"), Some(&42_i64.into()));
//! ```
//!
//! Spans go to the global tracer provider (`opentelemetry::global`),
//! whichever installed it. See the [`traced`] docs for every option.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attribute;
mod current;
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use attribute::AttributeValue;
pub use current::{add_event, set_attribute};
pub use otel_macros::traced;

/// The OpenTelemetry API this crate is built with, so that your code and
/// ours never disagree on its version.
pub use opentelemetry;
