//! Where the span of a call is made, decided in one place: nowhere (no
//! provider is installed, or the caller's trace was sampled out), directly
//! by `init`'s pipeline (see `direct`), or by a tracer of the global
//! provider (see `tracers`).

use opentelemetry::Context;
use opentelemetry::trace::Link;

use super::callsite::CallSite;
use super::direct::{self, DirectSpan, Started};
use super::sampling::{self, Root};
use super::tracers::{self, Found};
use super::{panic, provider};

/// Where a started span waits until it is made current.
pub(crate) enum Carrier {
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

/// Starts the span of a call of `site` under `parent` (`None`: the current
/// context) where it is made; `None` when the span would change nothing:
/// with no provider installed, it is a no-op that carries its parent's
/// context, and making it current would only cost time.
#[inline]
pub(crate) fn start_span(
    site: &'static CallSite,
    parent: Option<Context>,
    links: Vec<Link>,
) -> Option<Carrier> {
    let epoch = provider::epoch();
    let (tracer, links) = match tracers::find(site, epoch) {
        Found::Direct(pipeline) => {
            // A root, when `init`'s sampler decides roots by their trace
            // ID, is decided first: a dropped one is only a span context.
            let root = match &parent {
                _ if !sampling::known() => Root::Undecided,
                Some(parent) => sampling::decide(site, parent),
                None => Context::map_current(|current| sampling::decide(site, current)),
            };
            let root = match root {
                Root::Dropped(cx) => {
                    provider::observed(false, epoch);
                    return Some(Carrier::dropped(cx));
                }
                Root::Kept(trace_id) => Some(trace_id),
                Root::Undecided => None,
            };
            let start = |parent: &Context| direct::start(pipeline, site, parent, links, root);
            let started = match &parent {
                Some(parent) => start(parent),
                None => Context::map_current(start),
            };
            match started {
                Ok(started) => {
                    provider::observed(false, epoch);
                    return Some(match started {
                        Started::Recording(span) => {
                            panic::install_hook();
                            Carrier::Direct { span, parent }
                        }
                        Started::Dropped(cx) => Carrier::dropped(cx),
                    });
                }
                // Shutting down, or telemetry suppressed: the SDK's tracer
                // makes the (empty) span.
                Err(links) => (tracers::tracer(site), links),
            }
        }
        Found::Tracer(tracer) => (tracer, links),
    };
    let (cx, recording) = tracer.build(site, parent.as_ref(), links, epoch)?;
    Some(Carrier::Context { cx, recording })
}

impl Carrier {
    fn dropped(cx: Context) -> Carrier {
        Carrier::Context {
            cx,
            recording: false,
        }
    }

    #[inline]
    pub(crate) fn is_recording(&self) -> bool {
        match self {
            Carrier::Context { recording, .. } => *recording,
            Carrier::Direct { .. } => true,
        }
    }

    /// The context that carries the span.
    #[inline]
    pub(crate) fn into_context(self) -> Context {
        match self {
            Carrier::Context { cx, .. } => cx,
            Carrier::Direct { span, parent } => span.into_context(parent.as_ref()),
        }
    }
}
