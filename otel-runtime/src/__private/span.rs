//! Starting, entering and ending the span of one `#[traced]` call.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{Link, Span as _, SpanKind, SpanRef, TraceContextExt as _};
use opentelemetry::{Context, ContextGuard, KeyValue};

use super::arg::Arg;
use super::direct::{DirectSpan, Started};
use super::outcome::ErrorMode;
use super::sampling::{self, Root};
use super::tracers::{self, Tracer};
use super::{direct, panic, provider, reentry};
use crate::{IntoLink, IntoParent};

/// Everything about a `#[traced]` function that is known at compile time.
/// The expansion declares one as a `static`, so a call passes one pointer.
#[derive(Debug)]
pub struct CallSite {
    /// The span name.
    pub name: &'static str,
    /// The span kind.
    pub kind: SpanKind,
    /// Returns the function's full path, for `code.function.name`.
    pub function: fn() -> &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function's name.
    pub line: u32,
    /// The annotated crate's name: the instrumentation scope.
    pub scope_name: &'static str,
    /// The annotated crate's version.
    pub scope_version: &'static str,
    /// How many attributes the expansion records (arguments, fields,
    /// `ret`), so that the span's list is allocated once.
    pub attributes: usize,
    /// How an `Err` is recorded.
    pub errors: ErrorMode,
}

/// Returns the path of the function that declares `marker`, a nested `fn`
/// item, without the marker's own name. Items nested in a function carry its
/// full path, including the type for methods, which `module_path!` lacks.
pub fn function_name<F>(_marker: F) -> &'static str {
    let path = std::any::type_name::<F>();
    // The expansion's marker, cut without searching: a search costs some
    // hundreds of instructions, on every call.
    if let Some(function) = path.strip_suffix("::__otel_here") {
        return function;
    }
    path.rsplit_once("::")
        .map_or(path, |(function, _marker)| function)
}

/// Starts the span of one call as a child of the current context.
///
/// A call made from inside the tracing machinery (see `reentry`) gets no
/// span at all.
#[inline]
pub fn start(site: &'static CallSite) -> Starting {
    if provider::known_absent() || provider::under_unsampled_parent() {
        return Starting(None);
    }
    start_related(site, Relations::new)
}

/// Starts the span of one call with the parent and links that `relations`
/// returns (the `parent` and `links` options). `relations` runs only when a
/// span is started in full, so that with no provider the user's
/// expressions cost nothing.
#[inline]
pub fn start_with(site: &'static CallSite, relations: impl FnOnce() -> Relations) -> Starting {
    if provider::known_absent() {
        return Starting(None);
    }
    start_related(site, relations)
}

fn start_related(site: &'static CallSite, relations: impl FnOnce() -> Relations) -> Starting {
    let Some(inside) = reentry::enter_to_start() else {
        return Starting(None);
    };
    // Evaluated inside the machinery: a traced call in the user's expression
    // (or in a propagator it calls) runs untraced instead of recursing.
    start_in_full(site, inside, relations())
}

/// The `parent` and `links` of one call, as its options' expressions give
/// them. Built by the expansion:
/// `Relations::new().parent(&(expr)).link(&(a)).link(&(b))`.
pub struct Relations {
    parent: Option<Context>,
    links: Vec<Link>,
}

impl Relations {
    /// No parent (the current context) and no link.
    #[inline]
    pub fn new() -> Self {
        Relations {
            parent: None,
            links: Vec::new(),
        }
    }

    /// The span's parent.
    pub fn parent(mut self, parent: impl IntoParent) -> Self {
        self.parent = parent.into_parent();
        self
    }

    /// One link of the span.
    pub fn link(mut self, link: impl IntoLink) -> Self {
        self.links.extend(link.into_link());
        self
    }

    /// A link of the span per item.
    pub fn links<I>(mut self, links: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoLink,
    {
        self.links
            .extend(links.into_iter().filter_map(IntoLink::into_link));
        self
    }
}

impl Default for Relations {
    fn default() -> Self {
        Relations::new()
    }
}

fn start_in_full(
    site: &'static CallSite,
    inside: reentry::Inside,
    relations: Relations,
) -> Starting {
    let Relations { parent, links } = relations;
    Starting(start_span(site, parent, links).map(|carrier| StartingSpan {
        carrier,
        site,
        _inside: inside,
    }))
}

/// Where a started span waits until it is made current.
enum Carrier {
    /// In its context already: a span of the SDK's tracer, or a dropped
    /// one.
    Context { cx: Context, recording: bool },
    /// A span made directly, which records, and the parent it was started
    /// under (`None`: the current context). It goes into its context once
    /// the arguments are recorded into it.
    Direct {
        span: DirectSpan,
        parent: Option<Context>,
    },
}

/// The started span; `None` when the span would change nothing: with no
/// provider installed, it is a no-op that carries its parent's context, and
/// making it current would only cost time.
fn start_span(
    site: &'static CallSite,
    parent: Option<Context>,
    links: Vec<Link>,
) -> Option<Carrier> {
    let epoch = provider::epoch();
    // Made here for `init`'s provider (see `direct`), else by the SDK.
    let (tracer, links) = match tracers::find(site, epoch) {
        tracers::Found::Direct(pipeline) => {
            // A root, when `init`'s sampler decides roots by their trace
            // ID, is decided first: a dropped one is only a span context.
            let root = match &parent {
                _ if !sampling::known() => Root::Undecided,
                Some(parent) => sampling::decide(site, parent),
                None => Context::map_current(|current| sampling::decide(site, current)),
            };
            let root = match root {
                Root::Dropped(cx) => return Some(Carrier::dropped(cx)),
                Root::Kept(trace_id) => Some(trace_id),
                Root::Undecided => None,
            };
            let start = |parent: &Context| direct::start(pipeline, site, parent, links, root);
            let started = match &parent {
                Some(parent) => start(parent),
                None => Context::map_current(start),
            };
            match started {
                Ok(Started::Recording(span)) => {
                    provider::observed(false, epoch);
                    panic::install_hook();
                    return Some(Carrier::Direct { span, parent });
                }
                Ok(Started::Dropped(cx)) => {
                    provider::observed(false, epoch);
                    return Some(Carrier::dropped(cx));
                }
                // Shutting down, or telemetry suppressed: the SDK's tracer
                // makes the (empty) span.
                Err(links) => (tracers::tracer(site), links),
            }
        }
        tracers::Found::Tracer(tracer) => (tracer, links),
    };
    let built = match &*tracer {
        Tracer::Sdk { tracer, .. } => build(tracer, site, parent.as_ref(), links, epoch),
        Tracer::Global(tracer) => build(tracer, site, parent.as_ref(), links, epoch),
    };
    built.map(|(cx, recording)| Carrier::Context { cx, recording })
}

impl Carrier {
    fn dropped(cx: Context) -> Carrier {
        Carrier::Context {
            cx,
            recording: false,
        }
    }

    #[inline]
    fn is_recording(&self) -> bool {
        match self {
            Carrier::Context { recording, .. } => *recording,
            Carrier::Direct { .. } => true,
        }
    }

    /// The context that carries the span.
    #[inline]
    fn into_context(self) -> Context {
        match self {
            Carrier::Context { cx, .. } => cx,
            Carrier::Direct { span, parent } => span.into_context(parent.as_ref()),
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
#[inline(always)]
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
        tracers::forget();
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

/// The `code.*` attributes, in a list with room for the rest, as growing
/// a list costs more than allocating it at its size.
pub(crate) fn code_attributes(site: &CallSite) -> Vec<KeyValue> {
    // One more for `error.type` or `return`.
    let mut attributes = Vec::with_capacity(3 + site.attributes + 1);
    // Pushed one by one: extending from an array would copy it first.
    attributes.push(KeyValue::new("code.function.name", (site.function)()));
    attributes.push(KeyValue::new("code.file.path", site.file));
    attributes.push(KeyValue::new("code.line.number", i64::from(site.line)));
    attributes
}

/// A started span that is not yet current: the time to record arguments.
/// `None` when there is no span to make (no provider installed): then every
/// step after this one is a test of `None`.
pub struct Starting(Option<StartingSpan>);

/// Until it is activated, the thread counts as inside the tracing
/// machinery: recording an argument runs its `Debug` impl, which may call
/// traced code (an allocator).
struct StartingSpan {
    /// The span, not yet current.
    carrier: Carrier,
    site: &'static CallSite,
    _inside: reentry::Inside,
}

impl Starting {
    /// Whether the span records anything. When it does not (no provider, or
    /// sampled out), the expansion evaluates no argument at all.
    #[inline]
    pub fn is_recording(&self) -> bool {
        matches!(&self.0, Some(starting) if starting.carrier.is_recording())
    }

    /// Sets one attribute; `None` (an `Option` that is `None`) sets nothing.
    #[inline]
    pub fn attr(&mut self, key: &'static str, value: Option<Arg>) {
        let (Some(starting), Some(value)) = (&mut self.0, value) else {
            return;
        };
        match &mut starting.carrier {
            Carrier::Direct { span, .. } => span.arg(key, value),
            Carrier::Context { cx, .. } => {
                cx.span()
                    .set_attribute(KeyValue::new(key, value.into_value()));
            }
        }
    }

    /// Makes the span current for the rest of a synchronous body.
    #[inline]
    pub fn enter(self) -> Entered {
        match self.0 {
            None => Entered(None),
            Some(starting) => starting.entered(),
        }
    }

    /// Turns the span into a value that a future carries from poll to poll.
    #[inline]
    pub fn activate(self) -> Active {
        match self.0 {
            Some(starting) => starting.into_active(),
            None => Active::idle(),
        }
    }
}

impl StartingSpan {
    /// Makes the span current. Out of line: the caller then builds no
    /// `Entered` of its own to move into place, which with no span to
    /// enter cost a dozen instructions.
    #[inline(never)]
    fn entered(self) -> Entered {
        let entered = match self.carrier {
            // Sampled out: current, and nothing to end, so its context
            // moves into the guard.
            Carrier::Context {
                cx,
                recording: false,
            } => EnteredSpan {
                active: Active::idle(),
                guard: Some(cx.attach()),
            },
            // Ended through `active`, which keeps the context.
            _ => {
                let active = self.into_active();
                let guard = active.attach_inside();
                EnteredSpan { active, guard }
            }
        };
        Entered(Some(entered))
    }

    /// Makes the context that carries the span; the thread leaves the
    /// machinery as `self._inside` drops.
    #[inline]
    fn into_active(self) -> Active {
        let recording = self.carrier.is_recording();
        let direct = matches!(self.carrier, Carrier::Direct { .. });
        Active {
            cx: Some(self.carrier.into_context()),
            site: self.site,
            recording,
            direct,
            panicking_at_start: recording && std::thread::panicking(),
            panic_recorded: AtomicBool::new(false),
        }
    }
}

/// A span that is current or will be made current: ends when dropped.
pub struct Active {
    cx: Option<Context>,
    site: &'static CallSite,
    recording: bool,
    /// Made directly (`direct`): its end time is read from `clock`.
    direct: bool,
    panicking_at_start: bool,
    // A future's poll records its panic before the future is dropped.
    panic_recorded: AtomicBool,
}

/// The call site of no span; never read, as nothing is recorded without one.
static NO_SITE: CallSite = CallSite {
    name: "",
    kind: SpanKind::Internal,
    function: || "",
    file: "",
    line: 0,
    scope_name: "",
    scope_version: "",
    attributes: 0,
    errors: ErrorMode {
        record: false,
        exception_event: false,
        debug_message: false,
    },
};

impl Active {
    /// No span: what a call without a provider carries.
    #[inline]
    const fn idle() -> Active {
        Active {
            cx: None,
            site: &NO_SITE,
            recording: false,
            direct: false,
            panicking_at_start: false,
            panic_recorded: AtomicBool::new(false),
        }
    }

    /// Whether the span records anything.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Makes the span current until the guard drops.
    #[inline]
    pub fn attach(&self) -> Option<ContextGuard> {
        self.cx.as_ref()?;
        reentry::within(|| self.attach_inside())
    }

    fn attach_inside(&self) -> Option<ContextGuard> {
        self.cx.as_ref().map(|cx| cx.clone().attach())
    }

    /// Runs `f` on the span when it records. The thread is inside the
    /// machinery meanwhile: `f` may format user values.
    pub(crate) fn with_span(&self, f: impl FnOnce(SpanRef<'_>)) {
        if let (true, Some(cx)) = (self.recording, &self.cx) {
            reentry::within(|| f(cx.span()));
        }
    }

    pub(crate) fn error_mode(&self) -> ErrorMode {
        self.site.errors
    }

    /// Records the return value under `return` (the `ret` option).
    pub fn record_return(&self, value: Option<Arg>) {
        if let Some(value) = value {
            self.with_span(|span| span.set_attribute(KeyValue::new("return", value.into_value())));
        }
    }

    /// Records that the call panicked, with the panic's message and place
    /// when this crate's panic hook saw it.
    pub(crate) fn record_panic(&self) {
        if self.panic_recorded.swap(true, Ordering::Relaxed) {
            return;
        }
        self.with_span(|span| {
            let (message, location) = panic::take_last();
            let mut attributes = vec![
                KeyValue::new("exception.type", "panic"),
                KeyValue::new("exception.message", message.clone()),
            ];
            if let Some(location) = location {
                attributes.push(KeyValue::new(
                    "exception.stacktrace",
                    format!("at {location}"),
                ));
            }
            span.set_attribute(KeyValue::new("error.type", "panic"));
            span.add_event("exception", attributes);
            span.set_status(opentelemetry::trace::Status::Error {
                description: Cow::Owned(message),
            });
        });
    }

    pub(crate) fn set_cancelled(&self) {
        self.with_span(|span| span.set_attribute(KeyValue::new("code.cancelled", true)));
    }

    /// Ends the span, once.
    #[inline]
    fn finish(&mut self) {
        if self.cx.is_some() {
            self.finish_span();
        }
    }

    /// Ends the span and drops its context, inside the machinery: both
    /// may run a traced `Drop` (a processor's, an allocator's).
    fn finish_span(&mut self) {
        reentry::within(|| {
            // Unwinding from a panic that began inside this call, not one
            // that was already under way when the call started (a traced
            // `Drop`).
            if self.recording && std::thread::panicking() && !self.panicking_at_start {
                self.record_panic();
            }
            if let Some(cx) = self.cx.take() {
                match (self.recording, self.direct) {
                    // `end()` would read the wall clock.
                    (true, true) => cx.span().end_with_timestamp(super::clock::now()),
                    (true, false) => cx.span().end(),
                    (false, _) => {}
                }
            }
        });
    }
}

impl Drop for Active {
    #[inline]
    fn drop(&mut self) {
        self.finish();
    }
}

/// A span that is current until dropped, for synchronous bodies; `None`
/// when there is none.
pub struct Entered(Option<EnteredSpan>);

struct EnteredSpan {
    active: Active,
    guard: Option<ContextGuard>,
}

impl Drop for EnteredSpan {
    fn drop(&mut self) {
        // Ended while still current, then made no longer current.
        reentry::within(|| {
            self.active.finish();
            drop(self.guard.take());
        });
    }
}

impl std::ops::Deref for Entered {
    type Target = Active;

    #[inline]
    fn deref(&self) -> &Active {
        static IDLE: Active = Active::idle();
        match &self.0 {
            Some(entered) => &entered.active,
            None => &IDLE,
        }
    }
}
