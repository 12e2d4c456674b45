//! `tracing` spans and events in the trace (the `tracing` feature): the
//! layer that makes them part of OpenTelemetry traces, and the subscriber
//! `init` installs.
//!
//! Spans go through `tracing-opentelemetry`, with context activation on:
//! entering a `tracing` span makes its OpenTelemetry context current, so a
//! traced call inside it is its child, and a `tracing` span made inside a
//! traced call (whose span is current in the OpenTelemetry context) is
//! that call's child. The layer's tracer follows whichever provider is
//! installed (`engine::FollowingTracer`), so the layer may be built before
//! `init` runs. Events are recorded here (`events`), on the span current in
//! the OpenTelemetry context: a traced call's as well as a `tracing` span's.

mod events;
mod filter;

use tracing::Subscriber;
use tracing_subscriber::filter::FilterExt as _;
use tracing_subscriber::layer::{Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use crate::engine;
use events::Events;
use filter::OutsideMachinery;
pub(crate) use filter::env_filter;

/// The instrumentation scope of the spans that come from `tracing`.
const SCOPE: &str = "tracing";

/// A `tracing-subscriber` layer that puts `tracing` spans and events (a
/// library's, or your own `#[instrument]` functions') into the same traces
/// as traced calls, each under the span current where it was made. For a
/// program that sets up its own subscriber; tell `init` to leave `tracing`
/// alone with
/// [`Builder::tracing_subscriber(false)`](crate::Builder::tracing_subscriber),
/// or set the subscriber before calling it.
///
/// A span's fields become typed attributes; fields named `otel.name`,
/// `otel.kind`, `otel.status_code` and `otel.status_description` set its
/// name, kind and status. An event becomes an event of the span current
/// where it is written, named by its message, with its level, target,
/// place in the code and fields. An event at `ERROR` level marks that
/// span as failed, as a traced function's `Err` does: status error with
/// the message, and the event recorded as its `exception` event.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt as _;
/// use otel_runtime::testing::{capture, SpanDataExt};
///
/// #[otel_runtime::traced]
/// fn checkout() {
///     // A library's span, made inside a traced call.
///     let _span = tracing::info_span!("db.query").entered();
/// }
///
/// let subscriber = tracing_subscriber::registry().with(otel_runtime::tracing_layer());
/// let (_, spans) = tracing::subscriber::with_default(subscriber, || capture(checkout));
/// assert_eq!(
///     spans.named("db.query").parent_span_id,
///     spans.named("checkout").span_context.span_id()
/// );
/// ```
pub fn tracing_layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let tracer = engine::FollowingTracer::new(SCOPE, env!("CARGO_PKG_VERSION"));
    // Without `busy_ns` and `idle_ns` on every span: the timings cost each
    // enter and exit, and a span's own duration is what backends show.
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_tracked_inactivity(false)
        .with_filter(OutsideMachinery.and(filter::spans_only()));
    spans
        .and_then(Events.with_filter(OutsideMachinery))
        .and_then(Bridged)
}

/// Installs the subscriber that `init` sets up: `tracing`'s registry,
/// filtered by `RUST_LOG`, with [`tracing_layer`]. When the program has set
/// a global subscriber already, says so unless that one bridges too.
pub(crate) fn install_subscriber() {
    let subscriber = tracing_subscriber::registry()
        .with(env_filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with(tracing_layer());
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        // With the program's own subscriber, whether `log` records reach it
        // is the program's choice (`tracing-subscriber`'s `init` sees to it).
        #[cfg(feature = "log")]
        take_log_records();
    } else if !bridged() {
        eprintln!(
            "otel_runtime: a global `tracing` subscriber was set before `init`, without \
             `otel_runtime::tracing_layer()`: `tracing` spans and events stay out of the \
             trace (traced functions are unaffected). Add the layer to that subscriber."
        );
    }
}

/// Makes `log` records `tracing` events, unless the program has a logger.
#[cfg(feature = "log")]
fn take_log_records() {
    if tracing_log::LogTracer::init().is_err() {
        eprintln!(
            "otel_runtime: a `log` logger was set before `init`: `log` records go to it, \
             not into the trace."
        );
    }
}

/// Whether the current `tracing` subscriber has [`tracing_layer`].
pub(crate) fn bridged() -> bool {
    tracing::dispatcher::get_default(|dispatch| dispatch.is::<Bridged>())
}

/// Marks a subscriber that has [`tracing_layer`] (see [`bridged`]).
struct Bridged;

impl<S: Subscriber> Layer<S> for Bridged {}
