//! The span engine: the path of a traced call's span, from its start to
//! the exporter. `ARCHITECTURE.md` at the root draws it.
//!
//! - **Start.** The expansion names a [`CallSite`] (`callsite`) and calls
//!   [`start`] (`span`). `route` decides where the span is made: nowhere
//!   (no provider is installed, known without asking, see `provider`; or
//!   the caller's trace was sampled out), directly by `init`'s pipeline
//!   (`direct`, with the root's sampling decided first in `sampling`), or
//!   by a tracer of the global provider (`tracers`, kept per thread).
//! - **Record.** While it is not yet current, the span takes the call's
//!   arguments ([`Arg`], short text kept inline); a span made directly
//!   keeps them in a [`Record`](record), timed by `clock`.
//! - **End.** [`Active`] ends the span when the call returns, a future
//!   completes, or either is dropped; errors and panics are recorded in
//!   one place (`errors`, with `panic` for the message of a panic).
//! - **Export.** A finished span goes to each [`Processor`] (`processor`:
//!   one interface, one finished-span type, [`Ended`]): in `init`'s
//!   pipeline, a counted queue (`loss`) in front of the batch processor
//!   (`batch`), whose export thread makes `SpanData` and calls the
//!   exporter.
//! - **Around it.** `reentry` keeps the machinery from tracing itself;
//!   `limits` bounds and formats user values; `install` installs a
//!   provider, the SDK's and the engine's together.
//!
//! Imports run one way: the public API and `init` call in here, and so do
//! the expansions (through `__private`); nothing here calls out.

mod arg;
mod batch;
mod callsite;
mod clock;
mod direct;
mod errors;
#[cfg(feature = "tracing")]
mod following;
mod future;
mod install;
mod limits;
mod loss;
mod metrics;
mod panic;
mod processor;
mod provider;
pub(crate) mod record;
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
pub(crate) use record::{Attribute, Record};
mod reentry;
mod relations;
mod route;
mod sampling;
mod span;
mod tracers;

pub use arg::Arg;
pub use callsite::{CallSite, ErrorMode, Scope};
pub use future::Instrumented;
pub use loss::{ExportStats, export_stats, log_export_stats, metric_export_stats};
pub use metrics::function_metrics;
pub use relations::{IntoLink, IntoParent, Relations};
pub use span::{Active, Entered, Starting, start, start_with};

#[cfg(all(test, any(feature = "otlp-grpc", feature = "otlp-http")))]
pub(crate) use batch::tests::span as batch_tests_span;
pub(crate) use batch::{Batch, Schedule};
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
pub(crate) use batch::{Export, ExportItem, Outcome};
pub(crate) use errors::ErrorText;
#[cfg(feature = "tracing")]
pub(crate) use errors::record_error_event;
pub(crate) use install::{Built, Setup, build, install, install_other};
#[cfg(all(test, any(feature = "otlp-grpc", feature = "otlp-http")))]
pub(crate) use limits::cut_span;
#[cfg(feature = "tracing")]
pub(crate) use limits::format as format_user;
pub(crate) use limits::{Truncating, set_value_length};
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
pub(crate) use limits::{prefix as value_prefix, value_length};
#[cfg(feature = "tracing")]
pub(crate) use loss::LOG_RECORDS;
pub(crate) use loss::{
    Counted, CountedIn, METRIC_EXPORTS, Queue, summary as loss_summary, unpanicked,
};
#[cfg(any(feature = "tower", feature = "reqwest", feature = "tonic"))]
pub(crate) use metrics::meter_installed;
pub(crate) use metrics::{install as install_metrics, scope as metrics_scope};
#[cfg(any(feature = "console", feature = "testing"))]
pub(crate) use processor::Ended;
#[cfg(all(test, feature = "console"))]
pub(crate) use processor::ForSdk;
pub(crate) use processor::Processor;
#[cfg(any(feature = "otlp-grpc", feature = "otlp-http"))]
pub(crate) use reentry::for_good as machinery_thread;
pub(crate) use reentry::within as untraced;
pub(crate) use sampling::by_trace_id;
#[cfg(feature = "tracing")]
pub(crate) use {following::FollowingTracer, reentry::is_inside as inside_machinery};

// For the HTTP and gRPC servers' panics, recorded as a traced call's are.
#[cfg(any(feature = "tower", feature = "tonic"))]
pub(crate) use errors::record_panic;
#[cfg(any(feature = "tower", feature = "tonic"))]
pub(crate) use panic::{install_hook as install_panic_hook, take_last as last_panic};
