//! The logs signal (the `tracing` feature): `tracing` events, and `log`
//! records through them, become OpenTelemetry log records, carrying the
//! trace ID and span ID of the span current where they were written.
//!
//! `init` builds the SDK's logger provider (`OTEL_LOGS_EXPORTER`) and
//! installs it here; the bridge's event layer (`bridge::events`) emits
//! through [`logger`]. Before `init`, or with `OTEL_LOGS_EXPORTER=none`,
//! there is no logger, and events stay span events, so none is lost.

mod counted;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use opentelemetry::InstrumentationScope;
use opentelemetry::logs::LoggerProvider as _;
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};

pub(crate) use counted::{CountedLogExporter, CountedLogs};

/// How a `tracing` event (or a `log` record) is recorded; see
/// [`Builder::tracing_events`](crate::Builder::tracing_events).
///
/// Whatever the choice, an event at `ERROR` level inside a span marks that
/// span as failed, with an `exception` event, as a traced function's `Err`
/// does.
///
/// ```
/// use otel_runtime::TracingEvents;
///
/// assert_eq!(TracingEvents::default(), TracingEvents::LogRecords);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TracingEvents {
    /// As log records with the span's trace ID and span ID: the direction
    /// of OpenTelemetry's semantic conventions, and what log backends
    /// search. Where no logs exporter is set up (`OTEL_LOGS_EXPORTER=none`,
    /// or no `init`), as span events instead.
    #[default]
    LogRecords,
    /// As events of the span current where they are written.
    SpanEvents,
    /// Both.
    Both,
}

static LOGGER: OnceLock<SdkLogger> = OnceLock::new();
static EVENTS: AtomicU8 = AtomicU8::new(TracingEvents::LogRecords as u8);

/// The instrumentation scope of the log records that come from `tracing`
/// and `log`.
const SCOPE: &str = "tracing";

/// Makes `provider`'s logger the one events are emitted through, and
/// `events` the way they are recorded. Once per process (`init`).
pub(crate) fn install(provider: &SdkLoggerProvider, events: TracingEvents) {
    let scope = InstrumentationScope::builder(SCOPE)
        .with_version(env!("CARGO_PKG_VERSION"))
        .build();
    let _ = LOGGER.set(provider.logger_with_scope(scope));
    EVENTS.store(events as u8, Ordering::Relaxed);
}

/// The logger to emit an event's log record through, unless events are
/// only span events.
pub(crate) fn logger() -> Option<&'static SdkLogger> {
    let events = EVENTS.load(Ordering::Relaxed);
    LOGGER
        .get()
        .filter(|_| events != TracingEvents::SpanEvents as u8)
}

/// Whether an event also becomes an event of its span.
pub(crate) fn as_span_events() -> bool {
    LOGGER.get().is_none() || EVENTS.load(Ordering::Relaxed) != TracingEvents::LogRecords as u8
}
