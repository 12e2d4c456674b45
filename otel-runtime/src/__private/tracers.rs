//! The tracer of each instrumentation scope, kept per thread.
//!
//! Asking `opentelemetry::global` for a tracer on every call takes its lock,
//! clones the provider and allocates the tracer. A thread keeps the tracers
//! it made instead, and drops them when this crate installs a provider (the
//! epoch of `provider`), when they turn out to be no-ops, and every
//! [`REFRESH_EVERY`] spans, so that a provider installed straight through
//! `opentelemetry::global` is picked up too.

use std::cell::RefCell;
use std::rc::Rc;

use opentelemetry::InstrumentationScope;
use opentelemetry::global::{self, BoxedTracer};

use super::provider;
use super::span::CallSite;

/// How many spans a thread starts with its tracers before asking again.
const REFRESH_EVERY: u32 = 1024;

#[derive(Default)]
struct Tracers {
    epoch: u64,
    uses_left: u32,
    /// By scope name and version: a handful of crates per program.
    by_scope: Vec<(&'static str, &'static str, Rc<BoxedTracer>)>,
}

thread_local! {
    static TRACERS: RefCell<Tracers> = RefCell::new(Tracers::default());
}

/// The tracer for `site`'s crate.
pub(crate) fn tracer(site: &'static CallSite) -> Rc<BoxedTracer> {
    // While its thread-locals are destroyed, a thread asks every time.
    TRACERS
        .try_with(|tracers| {
            let mut tracers = tracers.try_borrow_mut().ok()?;
            Some(tracers.get(site))
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Rc::new(fresh(site)))
}

/// Drops this thread's tracers.
pub(crate) fn forget() {
    let _ = TRACERS.try_with(|tracers| {
        if let Ok(mut tracers) = tracers.try_borrow_mut() {
            tracers.by_scope.clear();
        }
    });
}

impl Tracers {
    fn get(&mut self, site: &'static CallSite) -> Rc<BoxedTracer> {
        let epoch = provider::epoch();
        if self.epoch != epoch || self.uses_left == 0 {
            self.by_scope.clear();
            self.epoch = epoch;
            self.uses_left = REFRESH_EVERY;
        }
        self.uses_left -= 1;
        // The same crate's call sites usually share one string: compare
        // the addresses first.
        let same = |a: &str, b: &str| std::ptr::eq(a, b) || a == b;
        let known = self.by_scope.iter().find(|(name, version, _)| {
            same(name, site.scope_name) && same(version, site.scope_version)
        });
        if let Some((_, _, tracer)) = known {
            return Rc::clone(tracer);
        }
        let tracer = Rc::new(fresh(site));
        self.by_scope
            .push((site.scope_name, site.scope_version, Rc::clone(&tracer)));
        tracer
    }
}

fn fresh(site: &CallSite) -> BoxedTracer {
    let scope = InstrumentationScope::builder(site.scope_name)
        .with_version(site.scope_version)
        .build();
    global::tracer_with_scope(scope)
}
