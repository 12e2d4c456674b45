//! The sampling decision for a root span, made before anything of the span
//! is.
//!
//! A root span that the sampler drops records nothing, yet the SDK builds
//! it in full first: a span builder, the attribute list, a boxed span. When
//! `init` chose the sampler from the standard ones, whose decision for a
//! root depends on nothing but its trace ID, a traced call under `init`'s
//! provider (see `direct`) draws the trace ID, asks that sampler, and for a
//! dropped root only makes the span context that its children and outgoing
//! requests carry, as the SDK would. A kept root is made with that trace
//! ID. This comes before the pipeline's own decision (`direct::Pipeline`),
//! which would reach the same one, as it costs less: a dropped root's only
//! cost is its context.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry::trace::{SpanContext, TraceContextExt as _, TraceFlags, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{
    IdGenerator as _, RandomIdGenerator, Sampler, SamplingDecision, ShouldSample as _,
};

use super::callsite::CallSite;
use super::provider;

/// The sampler of root spans, as `init` set it up.
static ROOTS: OnceLock<Sampler> = OnceLock::new();

/// The epoch in which `init` installed the provider that [`ROOTS`] belongs
/// to; `0` when there is none.
static ROOTS_IN: AtomicU64 = AtomicU64::new(0);

/// `init` installed a provider (and bumped the epoch) whose decision for a
/// root span is `sampler`'s, one that decides by the trace ID alone.
pub(crate) fn roots_decided_by(sampler: Sampler) {
    // `init` runs once per process.
    if ROOTS.set(sampler).is_ok() {
        ROOTS_IN.store(provider::epoch(), Ordering::Release);
    }
}

/// What was decided for a span about to start under `parent`.
pub(crate) enum Root {
    /// Not a root, or no sampler known: the span's maker decides.
    Undecided,
    /// A root that is kept: made with this trace ID.
    Kept(TraceId),
    /// A root that is dropped: the context to run it in, which carries
    /// its span context, and nothing else.
    Dropped(Context),
}

/// Whether the installed provider's decision for root spans is known, so
/// that [`decide`] is worth asking.
#[inline]
pub(crate) fn known() -> bool {
    ROOTS_IN.load(Ordering::Relaxed) == provider::epoch()
}

/// Decides for a root span (one whose parent has no valid span), when
/// [`known`].
#[inline]
pub(crate) fn decide(site: &CallSite, parent: &Context) -> Root {
    if !known() {
        return Root::Undecided;
    }
    match ROOTS.get() {
        Some(sampler) if !parent.span().span_context().is_valid() => {
            decide_root(sampler, site, parent)
        }
        _ => Root::Undecided,
    }
}

#[inline]
fn decide_root(sampler: &Sampler, site: &CallSite, parent: &Context) -> Root {
    let ids = RandomIdGenerator::default();
    let trace_id = ids.new_trace_id();
    let (decision, trace_state) = match sampler {
        // What the SDK's `AlwaysOff` answers, without building its answer.
        Sampler::AlwaysOff => (
            SamplingDecision::Drop,
            parent.span().span_context().trace_state().clone(),
        ),
        _ => {
            let no_attributes: &[KeyValue] = &[];
            let result = sampler.should_sample(
                Some(parent),
                trace_id,
                site.name,
                &site.kind,
                no_attributes,
                &[],
            );
            (result.decision, result.trace_state)
        }
    };
    match decision {
        SamplingDecision::Drop => Root::Dropped(parent.with_remote_span_context(SpanContext::new(
            trace_id,
            ids.new_span_id(),
            TraceFlags::default(),
            false,
            trace_state,
        ))),
        SamplingDecision::RecordOnly | SamplingDecision::RecordAndSample => Root::Kept(trace_id),
    }
}

/// The sampler of root spans that `sampler` amounts to, when it is one that
/// decides by the trace ID alone. A `ParentBased` sampler's root sampler
/// cannot be looked into, so `init` passes the one it read from
/// `OTEL_TRACES_SAMPLER` itself.
pub(crate) fn by_trace_id(sampler: &Sampler) -> Option<Sampler> {
    match sampler {
        Sampler::AlwaysOn => Some(Sampler::AlwaysOn),
        Sampler::AlwaysOff => Some(Sampler::AlwaysOff),
        Sampler::TraceIdRatioBased(ratio) => Some(Sampler::TraceIdRatioBased(*ratio)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::SpanKind;

    static SITE: CallSite = CallSite {
        name: "root",
        kind: SpanKind::Internal,
        function: || "root",
        file: "",
        line: 0,
        scope_name: "",
        scope_version: "",
        attributes: 0,
        errors: super::super::ErrorMode::OFF,
        metrics: true,
    };

    #[test]
    fn a_ratio_decides_as_the_sdk_does_for_the_same_trace_id() {
        let sampler = Sampler::TraceIdRatioBased(0.5);
        let parent = Context::new();
        let (mut kept, mut dropped) = (0, 0);
        for _ in 0..2000 {
            match decide_root(&sampler, &SITE, &parent) {
                Root::Kept(trace_id) => {
                    kept += 1;
                    let sdk = sampler.should_sample(
                        Some(&parent),
                        trace_id,
                        "root",
                        &SpanKind::Internal,
                        &[],
                        &[],
                    );
                    assert_ne!(sdk.decision, SamplingDecision::Drop);
                }
                Root::Dropped(cx) => {
                    dropped += 1;
                    let span = cx.span();
                    let context = span.span_context();
                    assert!(context.is_valid() && !context.is_sampled());
                    let sdk = sampler.should_sample(
                        Some(&parent),
                        context.trace_id(),
                        "root",
                        &SpanKind::Internal,
                        &[],
                        &[],
                    );
                    assert_eq!(sdk.decision, SamplingDecision::Drop);
                }
                Root::Undecided => unreachable!(),
            }
        }
        // Half and half, give or take what chance allows in 2,000 draws.
        assert!(
            (800..1200).contains(&kept),
            "{kept} kept, {dropped} dropped"
        );
    }

    #[test]
    fn only_samplers_that_look_at_the_trace_id_alone_are_taken_over() {
        assert!(by_trace_id(&Sampler::AlwaysOff).is_some());
        assert!(by_trace_id(&Sampler::TraceIdRatioBased(0.1)).is_some());
        assert!(by_trace_id(&Sampler::ParentBased(Box::new(Sampler::AlwaysOn))).is_none());
    }
}
