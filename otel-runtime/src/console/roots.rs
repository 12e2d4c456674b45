//! Which local roots of each trace are still open in this process, so that
//! the console prints a trace once, when the last of them ends.
//!
//! A trace that leaves this process over HTTP and comes back into it (a
//! client calling a server of the same process: the distributed example, a
//! test) has several local roots: its first span, and each server span whose
//! parent arrived in the request headers. The server spans end first;
//! printing at the first of them would cut one tree into pieces.
//!
//! A processor in front of the console's batch processor counts the local
//! roots open per trace, and notes each root that ended while others of its
//! trace were still open; the exporter holds a trace back at such a root.
//! Anything not noted (past the bounds, or never seen starting) prints as
//! before, at its own root.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::trace::{SpanContext, SpanId, TraceId};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;

use crate::engine::{Ended, Processor};

/// Traces followed at once, and roots noted as not the last; past either,
/// new ones print at their own root, so memory stays bounded when roots
/// never end.
const TRACKED_MAX: usize = 50_000;

/// The local roots open per trace, shared by the tracker and the exporter.
#[derive(Debug, Default)]
pub(crate) struct OpenRoots(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    open: HashMap<TraceId, usize>,
    not_last: HashSet<SpanId>,
}

impl OpenRoots {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn started(&self, trace: TraceId) {
        let mut state = self.state();
        if state.open.len() < TRACKED_MAX || state.open.contains_key(&trace) {
            *state.open.entry(trace).or_default() += 1;
        }
    }

    fn ended(&self, trace: TraceId, span: SpanId) {
        let mut state = self.state();
        let Some(open) = state.open.get_mut(&trace) else {
            return;
        };
        *open -= 1;
        if *open == 0 {
            state.open.remove(&trace);
        } else if state.not_last.len() < TRACKED_MAX {
            state.not_last.insert(span);
        }
    }

    /// Whether the local root `span` ended while other local roots of its
    /// trace were open (asked once per span: the note is removed).
    pub(crate) fn take_not_last(&self, span: SpanId) -> bool {
        self.state().not_last.remove(&span)
    }
}

/// Counts local roots as they start and end, then hands every span on.
#[derive(Debug)]
pub(crate) struct TrackRoots<P> {
    roots: Arc<OpenRoots>,
    inner: P,
}

impl<P> TrackRoots<P> {
    pub(crate) fn new(roots: Arc<OpenRoots>, inner: P) -> Self {
        TrackRoots { roots, inner }
    }
}

impl<P: Processor> Processor for TrackRoots<P> {
    fn on_start(&self, span: &SpanContext, parent: &SpanContext) {
        self.track(span, parent);
        self.inner.on_start(span, parent);
    }

    fn on_end(&self, span: Ended<'_>) {
        if let Some(context) = span.context() {
            self.note_end(context, span.is_local_root());
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<P> TrackRoots<P> {
    /// Before the batch processor has the span: the exporter must find the
    /// note when the span reaches it.
    fn note_end(&self, span: &SpanContext, local_root: bool) {
        if span.is_sampled() && local_root {
            self.roots.ended(span.trace_id(), span.span_id());
        }
    }

    fn track(&self, span: &SpanContext, parent: &SpanContext) {
        // Only sampled spans reach the exporter, which asks about them.
        if span.is_sampled() && (!parent.is_valid() || parent.is_remote()) {
            self.roots.started(span.trace_id());
        }
    }
}
