//! What a sampler decides for root spans, when that can be known ahead.
//!
//! `init`'s pipeline (see `direct`) asks this sampler for a span with no
//! parent instead of the `ParentBased` one it wraps, whose root sampler
//! cannot be looked into.

use opentelemetry_sdk::trace::Sampler;

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

    #[test]
    fn only_samplers_that_look_at_the_trace_id_alone_are_taken_over() {
        assert!(by_trace_id(&Sampler::AlwaysOff).is_some());
        assert!(by_trace_id(&Sampler::TraceIdRatioBased(0.1)).is_some());
        assert!(by_trace_id(&Sampler::ParentBased(Box::new(Sampler::AlwaysOn))).is_none());
    }
}
