//! Installing a tracer provider as the global one, so that every traced
//! call follows it from its next call: an SDK provider of the user's, or
//! one the engine builds over its own processors (for `init` and the test
//! helpers), with the pipeline of spans that traced calls make directly.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::global;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanLimits};

use super::direct::Pipeline;
use super::processor::{ForSdk, Processor};
use super::tracers::Installed;
use super::{provider, reentry, sampling};

/// What a provider the engine builds decides and keeps.
pub(crate) struct Setup {
    pub sampler: Sampler,
    /// What `sampler` amounts to for root spans, when it depends on the
    /// trace ID alone (see `sampling::by_trace_id`).
    pub roots: Option<Sampler>,
    pub limits: SpanLimits,
    /// `None`: the SDK's default resource.
    pub resource: Option<Resource>,
}

/// A provider the engine built: the SDK's, for spans started through the
/// `opentelemetry` API, and the pipeline of spans that traced calls make
/// directly, both over the same processors.
pub(crate) struct Built {
    provider: SdkTracerProvider,
    pipeline: &'static Pipeline,
}

/// Builds the provider and the pipeline over `processors`.
pub(crate) fn build(setup: Setup, processors: Vec<Box<dyn Processor>>) -> Built {
    let mut builder = SdkTracerProvider::builder()
        .with_sampler(setup.sampler.clone())
        .with_span_limits(setup.limits);
    if let Some(resource) = &setup.resource {
        builder = builder.with_resource(resource.clone());
    }
    let mut shared: Vec<Arc<dyn Processor>> = Vec::new();
    for mut processor in processors {
        if let Some(resource) = &setup.resource {
            processor.set_resource(resource);
        }
        let processor: Arc<dyn Processor> = Arc::from(processor);
        builder = builder.with_span_processor(ForSdk(processor.clone()));
        shared.push(processor);
    }
    let pipeline = Pipeline::new(setup.sampler, setup.roots, setup.limits, shared).leak();
    Built {
        provider: reentry::within(|| builder.build()),
        pipeline,
    }
}

impl Built {
    /// Installs it as the global provider. With `parent_decides` (a
    /// `ParentBased` sampler), a call under a caller that did not sample
    /// its trace makes no span at all; with `roots`, a root is decided
    /// before anything is built (see `sampling`).
    pub(crate) fn install(&self, parent_decides: bool, roots: Option<Sampler>) {
        install(self.provider.clone(), Some(self.pipeline));
        if parent_decides {
            provider::parent_decides_from_now();
        }
        // A sampler that keeps every root leaves nothing to decide first.
        if let Some(roots) = roots.filter(|roots| !matches!(roots, Sampler::AlwaysOn)) {
            sampling::roots_decided_by(roots);
        }
    }

    /// Exports every span that has ended so far.
    pub(crate) fn flush(&self) -> OTelSdkResult {
        reentry::within(|| self.provider.force_flush())
    }

    /// Stops making spans directly, then shuts the provider down: the
    /// spans that traced calls make stop being handed on when the SDK's
    /// do.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        reentry::within(|| {
            self.pipeline.shut_down();
            self.provider.shutdown_with_timeout(timeout)
        })
    }
}

/// Installs an SDK provider as the global one, with the pipeline of spans
/// made directly when the engine built it. Untraced: installing allocates
/// under the global provider's write lock, which a traced allocator would
/// wait on.
pub(crate) fn install(provider: SdkTracerProvider, direct: Option<&'static Pipeline>) {
    let installed = Installed { provider, direct };
    reentry::within(|| global::set_tracer_provider(installed));
    provider::changed();
}

/// Installs any other provider as the global one.
pub(crate) fn install_other<P, T, S>(provider: P)
where
    S: opentelemetry::trace::Span + Send + Sync + 'static,
    T: opentelemetry::trace::Tracer<Span = S> + Send + Sync + 'static,
    P: opentelemetry::trace::TracerProvider<Tracer = T> + Send + Sync + 'static,
{
    reentry::within(|| global::set_tracer_provider(provider));
    provider::changed();
}
