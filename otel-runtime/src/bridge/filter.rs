//! What the bridge sees: `RUST_LOG`'s filter, and nothing of the tracing
//! machinery's own threads.

use tracing::Metadata;
use tracing::subscriber::Interest;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{Directive, FilterFn, LevelFilter, filter_fn};
use tracing_subscriber::layer::{Context, Filter};

use crate::engine;

/// What `init` filters `tracing` spans and events by when `RUST_LOG` is
/// unset or empty: enough to see a service's requests without a library's
/// debugging output.
pub(crate) const DEFAULT_LEVEL: LevelFilter = LevelFilter::INFO;

/// The filter of `RUST_LOG`'s `directives`, as `tracing-subscriber`'s
/// `EnvFilter` reads them; [`DEFAULT_LEVEL`] where they say nothing. A
/// directive that does not parse is reported and left out; the others
/// still apply.
pub(crate) fn env_filter(directives: Option<&str>) -> EnvFilter {
    let mut kept = Vec::new();
    for directive in directives.unwrap_or_default().split(',').map(str::trim) {
        match directive.parse::<Directive>() {
            Ok(_) => kept.push(directive),
            Err(_) if directive.is_empty() => {}
            Err(error) => eprintln!("otel_runtime: RUST_LOG: ignoring `{directive}`: {error}"),
        }
    }
    EnvFilter::builder()
        .with_default_directive(DEFAULT_LEVEL.into())
        .parse_lossy(kept.join(","))
}

/// Spans, not events: `tracing-opentelemetry` makes the spans, and the
/// bridge records events itself.
pub(super) fn spans_only() -> FilterFn<impl Fn(&Metadata<'_>) -> bool> {
    filter_fn(|meta| meta.is_span())
}

/// Leaves out what happens inside the tracing machinery: the `tracing`
/// events of the exporters' HTTP and gRPC clients, which exporting would
/// otherwise feed back into the trace. Decided per span and event, not per
/// call site: the same call site runs on the program's threads too.
pub(super) struct OutsideMachinery;

impl<S> Filter<S> for OutsideMachinery {
    fn enabled(&self, _: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        !engine::inside_machinery()
    }

    fn callsite_enabled(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
}
