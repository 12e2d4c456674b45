//! The tracer of each instrumentation scope, kept per thread.
//!
//! Asking `opentelemetry::global` for a tracer on every call takes its lock,
//! clones the provider and allocates the tracer. A thread keeps the tracers
//! it made instead, and drops them when this crate installs a provider (the
//! epoch of `provider`), when they turn out to be no-ops, and every
//! [`REFRESH_EVERY`] spans, so that a provider installed straight through
//! `opentelemetry::global` is picked up too.
//!
//! A tracer from `opentelemetry::global` is boxed, and so is every span it
//! makes, which `Context` then boxes again. When the global provider is an
//! SDK provider that this crate installed ([`Installed`]), the thread keeps
//! the SDK's own tracer instead: one allocation and one copy of the span
//! less per span. When that provider is the one `init` set up, the thread also
//! keeps `init`'s pipeline, and makes its spans directly (see `direct`).
//! The pipeline is kept apart from the list, in a thread-local that costs
//! one read per span (no search, no reference count), and trusted for
//! [`REFRESH_EVERY`] spans like the tracers: a provider installed over it
//! straight through `opentelemetry::global` is noticed within that many.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::trace::{Link, Span as _, TraceContextExt as _, TracerProvider};
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use super::callsite::{CallSite, code_attributes};
use super::direct::Pipeline;
use super::{panic, provider};

/// How many spans a thread starts with its tracers before asking again.
const REFRESH_EVERY: u32 = 1024;

/// A tracer as kept by a thread.
pub(crate) enum Tracer {
    /// The SDK's, when the global provider is [`Installed`]; with `init`'s
    /// pipeline when `init` installed it.
    Sdk {
        tracer: SdkTracer,
        direct: Option<&'static Pipeline>,
    },
    /// Whatever else the global provider hands out.
    Global(BoxedTracer),
}

#[derive(Default)]
struct Tracers {
    epoch: u64,
    uses_left: u32,
    /// By scope name and version: a handful of crates per program.
    by_scope: Vec<(&'static str, &'static str, Rc<Tracer>)>,
}

thread_local! {
    static TRACERS: RefCell<Tracers> = RefCell::new(Tracers::default());
    /// Set while `fresh` asks the global provider for a tracer.
    static WANTED: Cell<bool> = const { Cell::new(false) };
    /// What [`Installed`] left for `fresh` to take.
    static OFFERED: RefCell<Option<(SdkTracer, Option<&'static Pipeline>)>> = const { RefCell::new(None) };
    /// `init`'s pipeline, as this thread's last fresh tracer found it: with
    /// the epoch then, and how many more spans may trust it.
    static PIPELINE: Cell<Option<(&'static Pipeline, u64, u32)>> = const { Cell::new(None) };
}

/// Where the span of a call is made.
pub(crate) enum Found {
    /// By `init`'s pipeline, directly.
    Direct(&'static Pipeline),
    /// By this tracer.
    Tracer(Rc<Tracer>),
}

/// Where the span of a call of `site` is made, `epoch` being the current
/// one (see `provider`).
#[inline]
pub(crate) fn find(site: &'static CallSite, epoch: u64) -> Found {
    if let Some(pipeline) = kept_pipeline(epoch) {
        return Found::Direct(pipeline);
    }
    let tracer = tracer(site);
    match &*tracer {
        Tracer::Sdk {
            direct: Some(pipeline),
            ..
        } => Found::Direct(pipeline),
        _ => Found::Tracer(tracer),
    }
}

/// The pipeline this thread keeps, while it may be trusted. When it may
/// not any more, the tracers are dropped too, so that the next one is
/// asked of the global provider.
#[inline]
fn kept_pipeline(epoch: u64) -> Option<&'static Pipeline> {
    PIPELINE
        .try_with(|kept| match kept.get() {
            Some((pipeline, in_epoch, left)) if in_epoch == epoch && left > 0 => {
                kept.set(Some((pipeline, in_epoch, left - 1)));
                Some(pipeline)
            }
            Some(_) => {
                forget();
                None
            }
            None => None,
        })
        .ok()
        .flatten()
}

/// The tracer for `site`'s crate.
pub(crate) fn tracer(site: &'static CallSite) -> Rc<Tracer> {
    tracer_for(site.scope_name, site.scope_version)
}

/// The tracer of the instrumentation scope `name`, `version`.
pub(crate) fn tracer_for(name: &'static str, version: &'static str) -> Rc<Tracer> {
    // While its thread-locals are destroyed, a thread asks every time.
    TRACERS
        .try_with(|tracers| {
            let mut tracers = tracers.try_borrow_mut().ok()?;
            Some(tracers.get(name, version))
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Rc::new(fresh(name, version)))
}

/// Drops this thread's tracers, and the pipeline it keeps.
pub(crate) fn forget() {
    let _ = PIPELINE.try_with(|kept| kept.set(None));
    let _ = TRACERS.try_with(|tracers| {
        if let Ok(mut tracers) = tracers.try_borrow_mut() {
            tracers.by_scope.clear();
        }
    });
}

impl Tracers {
    fn get(&mut self, name: &'static str, version: &'static str) -> Rc<Tracer> {
        let epoch = provider::epoch();
        if self.epoch != epoch || self.uses_left == 0 {
            self.by_scope.clear();
            self.epoch = epoch;
            self.uses_left = REFRESH_EVERY;
        }
        self.uses_left -= 1;
        let known = self
            .by_scope
            .iter()
            .find(|(known, known_version, _)| *known == name && *known_version == version);
        if let Some((_, _, tracer)) = known {
            return Rc::clone(tracer);
        }
        let tracer = Rc::new(fresh(name, version));
        if let Tracer::Sdk {
            direct: Some(pipeline),
            ..
        } = &*tracer
        {
            // This span is the first of the `REFRESH_EVERY`.
            let kept = (*pipeline, epoch, REFRESH_EVERY - 1);
            let _ = PIPELINE.try_with(|cell| cell.set(Some(kept)));
        }
        self.by_scope.push((name, version, Rc::clone(&tracer)));
        tracer
    }
}

/// Asks the global provider, and keeps the SDK's own tracer when the
/// provider is [`Installed`] (which then offers it).
fn fresh(name: &'static str, version: &'static str) -> Tracer {
    let scope = InstrumentationScope::builder(name)
        .with_version(version)
        .build();
    let _ = WANTED.try_with(|wanted| wanted.set(true));
    let global = global::tracer_with_scope(scope);
    let _ = WANTED.try_with(|wanted| wanted.set(false));
    let offered = OFFERED
        .try_with(|offered| offered.try_borrow_mut().ok()?.take())
        .ok()
        .flatten();
    match offered {
        Some((tracer, direct)) => Tracer::Sdk { tracer, direct },
        None => Tracer::Global(global),
    }
}

/// An SDK provider as this crate installs it in `opentelemetry::global`.
/// Anyone asking the global provider gets the SDK's tracer, boxed by
/// `opentelemetry::global` as usual; a thread's own `fresh` also gets a
/// copy unboxed, and with it the knowledge that the global provider is
/// still this one (a provider installed over it offers nothing).
pub(crate) struct Installed {
    pub(crate) provider: SdkTracerProvider,
    /// `init`'s pipeline, when `init` installed the provider.
    pub(crate) direct: Option<&'static Pipeline>,
}

impl TracerProvider for Installed {
    type Tracer = SdkTracer;

    fn tracer_with_scope(&self, scope: InstrumentationScope) -> SdkTracer {
        let tracer = self.provider.tracer_with_scope(scope);
        if WANTED.try_with(Cell::get).unwrap_or(false) {
            let _ = OFFERED.try_with(|offered| {
                if let Ok(mut offered) = offered.try_borrow_mut() {
                    *offered = Some((tracer.clone(), self.direct));
                }
            });
        }
        tracer
    }
}

impl Tracer {
    /// Builds the span of a call of `site` under `parent` (or the current
    /// context): its context, and whether it records; `None` when the
    /// tracer is a no-op one.
    pub(crate) fn build(
        &self,
        site: &'static CallSite,
        parent: Option<&Context>,
        links: Vec<Link>,
        epoch: u64,
    ) -> Option<(Context, bool)> {
        match self {
            Tracer::Sdk { tracer, .. } => build(tracer, site, parent, links, epoch),
            Tracer::Global(tracer) => build(tracer, site, parent, links, epoch),
        }
    }
}

fn build<T: opentelemetry::trace::Tracer>(
    tracer: &T,
    site: &'static CallSite,
    parent: Option<&Context>,
    links: Vec<Link>,
    epoch: u64,
) -> Option<(Context, bool)>
where
    T::Span: Send + Sync + 'static,
{
    match parent {
        Some(parent) => build_under(tracer, site, parent, links, epoch),
        None => Context::map_current(|current| build_under(tracer, site, current, links, epoch)),
    }
}

/// Builds the span and puts it in its context at once. The SDK's span is
/// some 400 bytes: every time it is passed on by value, it is copied, so it
/// goes from the SDK's build straight to its place on the heap, and the
/// builder's fields are set in place rather than through its methods.
fn build_under<T: opentelemetry::trace::Tracer>(
    tracer: &T,
    site: &'static CallSite,
    parent: &Context,
    links: Vec<Link>,
    epoch: u64,
) -> Option<(Context, bool)>
where
    T::Span: Send + Sync + 'static,
{
    let parent_span = parent.span();
    let parent_context = parent_span.span_context();
    let mut builder = tracer.span_builder(site.name);
    builder.span_kind = Some(site.kind.clone());
    if !links.is_empty() {
        builder.links = Some(links);
    }
    // The attributes go in the builder, in one list of the right size (the
    // SDK keeps it as the span's), unless the parent did not sample its
    // trace: then the span is all but sure to be dropped, and they wait for
    // the sampler's decision.
    let presized = parent_context.is_sampled() || !parent_context.is_valid();
    if presized {
        builder.attributes = Some(code_attributes(site));
    }
    let mut span = tracer.build_with_context(builder, parent);
    // Only the no-op provider hands back its parent's context: an SDK span,
    // even a sampled-out one, has an ID of its own.
    let inherited = span.span_context() == parent_context;
    provider::observed(inherited, epoch);
    if inherited {
        // The next full start (a recheck) must ask the global provider
        // again, not reuse the no-op tracer.
        forget();
        return None;
    }
    // A sampled-out span has its own ID and is made current too, so that
    // its children know their trace was sampled out.
    let recording = span.is_recording();
    if recording {
        panic::install_hook();
        if !presized {
            for attribute in code_attributes(site) {
                span.set_attribute(attribute);
            }
        }
    }
    Some((parent.with_span(span), recording))
}
