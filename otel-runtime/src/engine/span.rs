//! Starting, entering and ending the span of one `#[traced]` call.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{Span as _, SpanRef, Status, TraceContextExt as _};
use opentelemetry::{Context, ContextGuard, KeyValue};

use super::arg::Arg;
use super::callsite::{CallSite, NO_SITE};
use super::errors::{self, ErrorText};
use super::metrics::{self, Timer};
use super::relations::Relations;
use super::route::{self, Carrier};
use super::{panic, provider, reentry};

/// Starts the span of one call as a child of the current context.
///
/// A call made from inside the tracing machinery (see `reentry`) gets no
/// span at all.
#[inline]
pub fn start(site: &'static CallSite) -> Starting {
    // No provider: no `init` either, which is what installs a meter
    // provider, so nothing is timed. Under an unsampled parent, the span
    // would record nothing; a timed call goes on, to be timed in its
    // parent's context (`Starting::timed_only`).
    if provider::known_absent() || provider::under_unsampled_parent() {
        return Starting(None);
    }
    start_current(site)
}

/// Starts a span under the current context. Cold, so that the calls that
/// start nothing fall straight through to the user's body (the ledger of
/// `ARCHITECTURE.md`); the start itself is not, out of line.
#[cold]
#[inline(never)]
fn start_current(site: &'static CallSite) -> Starting {
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

#[inline(never)]
fn start_related(site: &'static CallSite, relations: impl FnOnce() -> Relations) -> Starting {
    if metrics::on() {
        return start_timed(site, relations);
    }
    let Some(inside) = reentry::enter_to_start() else {
        return Starting(None);
    };
    // Evaluated inside the machinery: a traced call in the user's expression
    // (or in a propagator it calls) runs untraced instead of recursing.
    start_in_full(site, inside, relations(), Timer::none())
}

/// The same, for a call whose duration is recorded: under an unsampled
/// parent whose choice the sampler follows, it is timed in the parent's
/// context, with no span made.
#[inline(never)]
fn start_timed(site: &'static CallSite, relations: impl FnOnce() -> Relations) -> Starting {
    let Some(inside) = reentry::enter_to_start() else {
        return Starting(None);
    };
    let timer = Timer::start(site);
    let relations = relations();
    if relations.is_current() && provider::parent_decides_unsampled() {
        return Starting::timed_only(site, inside, timer);
    }
    start_in_full(site, inside, relations, timer)
}

fn start_in_full(
    site: &'static CallSite,
    inside: reentry::Inside,
    relations: Relations,
    timer: Timer,
) -> Starting {
    let Relations { parent, links } = relations;
    Starting(
        route::start_span(site, parent, links).map(|carrier| StartingSpan {
            carrier,
            site,
            timer,
            _inside: inside,
        }),
    )
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
    /// The call's duration, when metrics are on (`metrics`).
    timer: Timer,
    _inside: reentry::Inside,
}

impl Starting {
    /// A call timed in the current context, with no span: its parent is
    /// not sampled, and the sampler follows the parent.
    fn timed_only(site: &'static CallSite, inside: reentry::Inside, timer: Timer) -> Starting {
        let carrier = Carrier::Context {
            cx: Context::current(),
            recording: false,
        };
        Starting(Some(StartingSpan {
            carrier,
            site,
            timer,
            _inside: inside,
        }))
    }

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

    /// `fields(otel.name = …)`: the span's name from a value's text, as
    /// `tracing-opentelemetry` reads that field.
    pub fn rename(&mut self, name: Option<Arg>) {
        let (Some(starting), Some(name)) = (&mut self.0, name) else {
            return;
        };
        let name = name.into_value().as_str().into_owned();
        match &mut starting.carrier {
            Carrier::Direct { span, .. } => span.update_name(name),
            Carrier::Context { cx, .. } => cx.span().update_name(name),
        }
    }

    /// `fields(otel.status_code = …, otel.status_description = …)`: `OK` or
    /// `ERROR` (any case) sets the span's status, as `tracing-opentelemetry`
    /// reads those fields; anything else is left alone.
    pub fn status(&mut self, code: Option<Arg>, description: Option<Arg>) {
        let (Some(starting), Some(code)) = (&mut self.0, code) else {
            return;
        };
        let code = code.into_value().as_str().to_ascii_uppercase();
        let status = match code.as_str() {
            "OK" => Status::Ok,
            "ERROR" => Status::error(description.map_or(String::new(), |text| {
                text.into_value().as_str().into_owned()
            })),
            _ => return,
        };
        match &mut starting.carrier {
            Carrier::Direct { span, .. } => span.set_status(status),
            Carrier::Context { cx, .. } => cx.span().set_status(status),
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
    /// `Entered` of its own to move into place, which costs every call
    /// that has no span to enter (the ledger of `ARCHITECTURE.md` has the
    /// count).
    #[inline(never)]
    fn entered(self) -> Entered {
        let entered = match self.carrier {
            // Sampled out: current, and nothing to end, so its context
            // moves into the guard.
            Carrier::Context {
                cx,
                recording: false,
            } => EnteredSpan {
                active: Active::without_span(self.site, self.timer),
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
        let carrier = self.carrier;
        let recording = carrier.is_recording();
        let direct = matches!(carrier, Carrier::Direct { .. });
        Active {
            cx: Some(carrier.into_context()),
            site: self.site,
            recording,
            direct,
            panicking_at_start: (recording || self.timer.is_running()) && std::thread::panicking(),
            panic_recorded: AtomicBool::new(false),
            timer: self.timer,
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
    /// The call's duration, when metrics are on: recorded at the call's
    /// outcome or, without one, its end.
    timer: Timer,
}

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
            timer: Timer::none(),
        }
    }

    /// No span to end: nothing, or, when `timer` is set, the call's
    /// duration.
    #[inline(always)]
    fn without_span(site: &'static CallSite, timer: Timer) -> Active {
        if timer.is_running() {
            Active::timed(site, timer)
        } else {
            Active::idle()
        }
    }

    #[inline]
    fn timed(site: &'static CallSite, timer: Timer) -> Active {
        Active {
            cx: None,
            site,
            recording: false,
            direct: false,
            panicking_at_start: std::thread::panicking(),
            panic_recorded: AtomicBool::new(false),
            timer,
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

    /// Records the return value under `return` (the `ret` option).
    pub fn record_return(&self, value: Option<Arg>) {
        if let Some(value) = value {
            self.with_span(|span| span.set_attribute(KeyValue::new("return", value.into_value())));
        }
    }

    /// Records an `Err` the call returned, as its call site says: on the
    /// span, and as the `error.type` of the call's duration.
    pub(crate) fn record_error(&self, error: ErrorText<'_>) {
        let mode = self.site.errors;
        if !mode.record {
            return;
        }
        if self.timer.is_running() {
            self.timer.stop(
                self.site,
                Some(&reentry::within(|| errors::error_type_of(&error))),
            );
        }
        self.with_span(|span| errors::record_error(&span, mode, error));
    }

    /// Records that the call panicked, with the panic's message and place
    /// when this crate's panic hook saw it.
    pub(crate) fn record_panic(&self) {
        if self.panic_recorded.swap(true, Ordering::Relaxed) {
            return;
        }
        self.timer.stop(self.site, Some("panic"));
        self.with_span(|span| {
            let (message, location) = panic::take_last();
            errors::record_panic(&span, message, location);
        });
    }

    pub(crate) fn set_cancelled(&self) {
        self.with_span(|span| span.set_attribute(KeyValue::new("code.cancelled", true)));
    }

    /// Ends the span, once, and records the call's duration unless its
    /// outcome did.
    #[inline]
    fn finish(&mut self) {
        // The duration first: ending the span is not the call's time.
        if self.timer.is_running() {
            self.finish_timer();
        }
        if self.cx.is_some() {
            self.finish_span();
        }
    }

    /// A future's output was observed: its duration ends here, as a
    /// success unless the output was recorded as an error.
    #[inline]
    pub(crate) fn completed(&self) {
        if self.timer.is_running() {
            self.timer.stop(self.site, None);
        }
    }

    /// Records the duration of a call that ended without an outcome to
    /// record (a success, or a panic that began in the call).
    fn finish_timer(&self) {
        let panicked = std::thread::panicking() && !self.panicking_at_start;
        self.timer.stop(self.site, panicked.then_some("panic"));
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
