//! Spans that `#[traced]` makes itself, for the provider that `init` set
//! up, instead of asking the SDK's tracer.
//!
//! The SDK's tracer builds a span through a `SpanBuilder` (some 400 bytes,
//! filled in and moved), clones the tracer into it (two reference counts),
//! asks the sampler, and at the end copies the span's fields once more into
//! the `SpanData` it hands its processors. `init` built those processors and
//! chose the sampler, so a traced call can do the same work directly: one
//! [`Record`] of what the call recorded, handed to the same processors at
//! the end, which turn it into `SpanData` where they export it (see
//! `record`). What the exporters receive is the same, field for field (see
//! the tests at the end of this file, which compare the two). The test helpers
//! (`crate::testing`) set their provider up the same way, so every test that
//! captures spans goes through here.
//!
//! This covers the span of a traced call. Spans started through the
//! `opentelemetry` API (`global::tracer(…)`, a `tracing` bridge) still go
//! through the SDK's tracer, to the same processors.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, Status, TraceContextExt as _, TraceFlags, TraceId,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{
    IdGenerator as _, RandomIdGenerator, Sampler, SamplingDecision, ShouldSample as _, SpanLimits,
};

use super::arg::Arg;
use super::callsite::{self, CallSite};
use super::processor::{Ended, Processor};
use super::record::Record;

/// What `init` (or the test helpers) set up: the sampler, the limits and
/// the processors it gave the SDK's provider, kept here too.
pub(crate) struct Pipeline {
    sampler: Sampler,
    /// What `sampler` amounts to for a span with no parent, when that is
    /// known (see `sampling::by_trace_id`).
    roots: Option<Sampler>,
    limits: SpanLimits,
    processors: Vec<Arc<dyn Processor>>,
    /// Set as the provider begins to shut down: from then on, the SDK's
    /// tracer makes the spans (empty ones, as it is shut down), and spans
    /// that end are not handed on, as the SDK does.
    shut: AtomicBool,
}

impl Pipeline {
    pub(crate) fn new(
        sampler: Sampler,
        roots: Option<Sampler>,
        limits: SpanLimits,
        processors: Vec<Arc<dyn Processor>>,
    ) -> Pipeline {
        super::clock::prepare();
        Pipeline {
            sampler,
            roots,
            limits,
            processors,
            shut: AtomicBool::new(false),
        }
    }

    /// Keeps the pipeline for the rest of the process, so that a span
    /// holds it without counting references. Each is made once per process
    /// (`init` and the test helpers run once).
    pub(crate) fn leak(self) -> &'static Pipeline {
        Box::leak(Box::new(self))
    }

    /// The provider is shutting down.
    pub(crate) fn shut_down(&self) {
        self.shut.store(true, Ordering::Release);
    }

    fn is_shut(&self) -> bool {
        self.shut.load(Ordering::Acquire)
    }
}

/// Makes the span of one call of `site` under `parent`, when this module
/// can: not when the provider is shutting down or telemetry is suppressed
/// (the SDK's tracer then makes an empty span, as it should).
///
/// Returns the span; or the links back, for the SDK's tracer.
pub(crate) fn start(
    pipeline: &'static Pipeline,
    site: &'static CallSite,
    parent: &Context,
    links: Vec<Link>,
    root: Option<TraceId>,
) -> Result<Started, Vec<Link>> {
    if pipeline.is_shut() || parent.is_telemetry_suppressed() {
        return Err(links);
    }
    let parent_span = parent.span();
    let parent_context = parent_span.span_context();
    // A root's trace ID is drawn here, unless it was decided already.
    let (new_trace_id, span_id) = new_ids(!parent_context.is_valid() && root.is_none());
    let (trace_id, parent_context) = match root.or(new_trace_id) {
        Some(trace_id) => (trace_id, &SpanContext::NONE),
        None => (parent_context.trace_id(), parent_context),
    };
    // Made only for a sampler that may look at them (one given in code):
    // the SDK hands it the span's first attributes.
    let shown = pipeline
        .shows_attributes(parent)
        .then(|| callsite::code_attributes(site));
    let decision = match root {
        Some(_) => SamplingDecision::RecordAndSample,
        None => pipeline.decide(
            site,
            parent,
            trace_id,
            shown.as_deref().unwrap_or(&[]),
            &links,
        ),
    };
    // The built-in samplers pass the parent's trace state on unchanged.
    let trace_state = parent_span.span_context().trace_state().clone();
    let sampled = match decision {
        SamplingDecision::RecordAndSample => true,
        SamplingDecision::RecordOnly => false,
        SamplingDecision::Drop => {
            // Made current all the same, so that its children know their
            // trace was sampled out.
            let context =
                SpanContext::new(trace_id, span_id, TraceFlags::default(), false, trace_state);
            return Ok(Started::Dropped(parent.with_remote_span_context(context)));
        }
    };
    let flags = parent_context.trace_flags().with_sampled(sampled);
    let context = SpanContext::new(trace_id, span_id, flags, false, trace_state);
    for processor in &pipeline.processors {
        processor.on_start(&context, parent_context);
    }
    Ok(Started::Recording(DirectSpan::new(
        pipeline,
        site,
        context,
        parent_context,
        links,
    )))
}

/// What [`start`] made.
pub(crate) enum Started {
    /// A span that records, not yet in its context: the call's arguments
    /// are recorded into it first.
    Recording(DirectSpan),
    /// A span that the sampler dropped: only a span context, in the context
    /// that is made current all the same, so that its children know their
    /// trace was sampled out.
    Dropped(Context),
}

/// A span ID, with a trace ID when `new_trace`, from the SDK's
/// `RandomIdGenerator`.
fn new_ids(new_trace: bool) -> (Option<TraceId>, SpanId) {
    let ids = RandomIdGenerator::default();
    (new_trace.then(|| ids.new_trace_id()), ids.new_span_id())
}

impl Pipeline {
    /// Whether [`decide`](Self::decide) may ask a sampler that looks at
    /// attributes: the root sampler of a `ParentBased` one given in code.
    /// The built-in samplers decide without them.
    fn shows_attributes(&self, parent: &Context) -> bool {
        matches!(self.sampler, Sampler::ParentBased(_))
            && self.roots.is_none()
            && !parent.has_active_span()
    }

    /// The decision the SDK's tracer would get from its sampler.
    fn decide(
        &self,
        site: &CallSite,
        parent: &Context,
        trace_id: TraceId,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingDecision {
        // The SDK's `ParentBased` follows any active parent span, and asks
        // its root sampler otherwise.
        let sampler = match &self.sampler {
            Sampler::ParentBased(_) if parent.has_active_span() => {
                return if parent.span().span_context().is_sampled() {
                    SamplingDecision::RecordAndSample
                } else {
                    SamplingDecision::Drop
                };
            }
            Sampler::ParentBased(_) => self.roots.as_ref().unwrap_or(&self.sampler),
            sampler => sampler,
        };
        match sampler {
            Sampler::AlwaysOn => SamplingDecision::RecordAndSample,
            Sampler::AlwaysOff => SamplingDecision::Drop,
            sampler => {
                sampler
                    .should_sample(
                        Some(parent),
                        trace_id,
                        site.name,
                        &site.kind,
                        attributes,
                        links,
                    )
                    .decision
            }
        }
    }
}

/// A recording span made directly. What it records waits in a [`Record`],
/// which is handed to the processors at the end. Boxed, so that the span is
/// small to move while the call's arguments are recorded and on its way
/// into its context.
pub(crate) struct DirectSpan {
    /// `None` only while it is dropped (see [`SPARE`]).
    live: Option<Box<Live>>,
    pipeline: &'static Pipeline,
}

/// Most spans end where they started: a span's box is kept for the next
/// span that starts on the thread where it ended, instead of being freed
/// and allocated again.
const SPARE_BOXES: usize = 64;

thread_local! {
    // The boxes themselves are what is kept, to be handed out again.
    #[allow(clippy::vec_box)]
    static SPARE: RefCell<Vec<Box<Live>>> = const { RefCell::new(Vec::new()) };
}

/// A box for a span's state: a spare one, else a new one.
fn boxed(live: Live) -> Box<Live> {
    let spare = SPARE.try_with(|spare| spare.try_borrow_mut().ok()?.pop());
    match spare {
        Ok(Some(mut spare)) => {
            *spare = live;
            spare
        }
        _ => Box::new(live),
    }
}

/// Keeps the box of a span that ended, unless the thread has enough.
fn spare(live: Box<Live>) {
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            if spare.len() < SPARE_BOXES {
                spare.push(live);
            }
        }
    });
}

struct Live {
    context: SpanContext,
    /// `None` once ended.
    record: Option<Record>,
}

impl DirectSpan {
    fn new(
        pipeline: &'static Pipeline,
        site: &'static CallSite,
        context: SpanContext,
        parent: &SpanContext,
        links: Vec<Link>,
    ) -> DirectSpan {
        let record = Record::new(site, &pipeline.limits, context.clone(), parent, links);
        DirectSpan {
            live: Some(boxed(Live {
                context,
                record: Some(record),
            })),
            pipeline,
        }
    }

    /// Records one of the call's arguments (or fields).
    #[inline]
    pub(crate) fn arg(&mut self, key: &'static str, value: Arg) {
        if let Some(record) = self.record() {
            record.arg(key, value);
        }
    }

    /// The context that carries the span: a child of `parent`, or of the
    /// current context.
    pub(crate) fn into_context(self, parent: Option<&Context>) -> Context {
        match parent {
            Some(parent) => parent.with_span(self),
            None => Context::map_current(|current| current.with_span(self)),
        }
    }

    fn record(&mut self) -> Option<&mut Record> {
        self.live.as_deref_mut()?.record.as_mut()
    }

    fn end_at(&mut self, end_time: Option<SystemTime>) {
        let pipeline = self.pipeline;
        let Some(slot) = self.live.as_deref_mut().map(|live| &mut live.record) else {
            return;
        };
        let Some(record) = slot else {
            return;
        };
        if pipeline.is_shut() {
            *slot = None;
            return;
        }
        record.end(end_time);
        let [others @ .., last] = pipeline.processors.as_slice() else {
            *slot = None;
            return;
        };
        for processor in others {
            processor.on_end(Ended::Record(&mut Some(record.clone())));
        }
        last.on_end(Ended::Record(slot));
        // Whether the last processor kept it or not, the span has ended.
        *slot = None;
    }
}

impl opentelemetry::trace::Span for DirectSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) where
        T: Into<Cow<'static, str>>,
    {
        if let Some(record) = self.record() {
            record.add_event(Event::new(name, timestamp, attributes, 0));
        }
    }

    fn span_context(&self) -> &SpanContext {
        static NONE: SpanContext = SpanContext::NONE;
        self.live.as_deref().map_or(&NONE, |live| &live.context)
    }

    fn is_recording(&self) -> bool {
        self.live.as_ref().is_some_and(|live| live.record.is_some())
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        if let Some(record) = self.record() {
            record.set_attribute(attribute);
        }
    }

    fn set_status(&mut self, status: Status) {
        if let Some(record) = self.record() {
            record.set_status(status);
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        if let Some(record) = self.record() {
            record.update_name(new_name.into());
        }
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        if let Some(record) = self.record() {
            record.add_link(Link::new(span_context, attributes, 0));
        }
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.end_at(Some(timestamp));
    }
}

impl Drop for DirectSpan {
    /// A span dropped without being ended ends now, as the SDK's does.
    fn drop(&mut self) {
        self.end_at(None);
        if let Some(live) = self.live.take() {
            spare(live);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::UNIX_EPOCH;

    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{SpanId, SpanKind, TraceState, Tracer as _, TracerProvider as _};
    use std::time::Duration;

    use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData};

    use super::*;
    use crate::engine::processor::ForSdk;
    use crate::engine::record::tests::SITE;

    /// Keeps what it is handed, and what it saw start.
    #[derive(Clone, Debug, Default)]
    struct Keep {
        ended: Arc<Mutex<Vec<SpanData>>>,
        started: Arc<Mutex<Vec<(SpanContext, SpanContext)>>>,
    }

    impl Processor for Keep {
        fn on_start(&self, span: &SpanContext, parent: &SpanContext) {
            self.started
                .lock()
                .unwrap()
                .push((span.clone(), parent.clone()));
        }
        fn on_end(&self, span: Ended<'_>) {
            self.ended.lock().unwrap().extend(span.take_data());
        }
    }

    /// Small limits, so that every one of them is reached.
    fn limits() -> SpanLimits {
        SpanLimits {
            max_events_per_span: 2,
            max_attributes_per_span: 5,
            max_links_per_span: 1,
            max_attributes_per_event: 1,
            max_attributes_per_link: 1,
        }
    }

    fn scope() -> InstrumentationScope {
        InstrumentationScope::builder(SITE.scope_name)
            .with_version(SITE.scope_version)
            .build()
    }

    fn link(n: u8, attributes: usize) -> Link {
        let context = SpanContext::new(
            TraceId::from(u128::from(n) + 1),
            SpanId::from(u64::from(n) + 1),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let attributes = (0..attributes)
            .map(|i| KeyValue::new(format!("l{i}"), i as i64))
            .collect();
        Link::new(context, attributes, 0)
    }

    /// The same calls on either span, through the API users have.
    fn exercise(cx: &Context) {
        let span = cx.span();
        for i in 0..4 {
            span.set_attribute(KeyValue::new(format!("a{i}"), i));
        }
        let at = UNIX_EPOCH + Duration::from_secs(1);
        for i in 0..3 {
            let attributes = vec![KeyValue::new("x", i), KeyValue::new("y", i)];
            span.add_event_with_timestamp(format!("e{i}"), at, attributes);
        }
        span.add_link(link(9, 2).span_context, vec![KeyValue::new("z", 1)]);
        span.set_status(Status::error("first"));
        span.set_status(Status::Unset);
        span.set_status(Status::error("second"));
        span.update_name("renamed");
        span.end_with_timestamp(at + Duration::from_secs(1));
        // Ignored once ended.
        span.set_attribute(KeyValue::new("late", true));
        span.end();
    }

    /// A span made by the SDK's tracer and one made here, under `parent`,
    /// with the same sampler and limits: what each processor was handed.
    fn both(sampler: Sampler, parent: &Context) -> (Keep, Keep, bool) {
        let sdk = Keep::default();
        let provider = SdkTracerProvider::builder()
            .with_sampler(sampler.clone())
            .with_span_limits(limits())
            .with_span_processor(ForSdk(Arc::new(sdk.clone())))
            .build();
        let tracer = provider.tracer_with_scope(scope());
        let mut builder = tracer.span_builder(SITE.name);
        builder.span_kind = Some(SITE.kind.clone());
        builder.attributes = Some(callsite::code_attributes(&SITE));
        builder.links = Some(vec![link(1, 3), link(2, 0)]);
        let mut span = tracer.build_with_context(builder, parent);
        let sdk_recording = opentelemetry::trace::Span::is_recording(&span);
        // An argument, as the expansion records it before the span is
        // current.
        opentelemetry::trace::Span::set_attribute(&mut span, KeyValue::new("s", "text"));
        exercise(&parent.with_span(span));

        let (direct, pipeline) = kept(sampler);
        let mut started = start(pipeline, &SITE, parent, vec![link(1, 3), link(2, 0)], None)
            .ok()
            .unwrap();
        if let Started::Recording(span) = &mut started {
            span.arg("s", Arg::text("text"));
        }
        let (cx, recording) = in_context(started, parent);
        assert_eq!(recording, sdk_recording);
        exercise(&cx);
        (sdk, direct, recording)
    }

    /// A pipeline under `sampler` whose one processor keeps what it is
    /// handed.
    fn kept(sampler: Sampler) -> (Keep, &'static Pipeline) {
        let keep = Keep::default();
        let pipeline = Pipeline::new(sampler, None, limits(), vec![Arc::new(keep.clone())]);
        (keep, pipeline.leak())
    }

    /// The context of what `start` made, and whether its span records.
    fn in_context(started: Started, parent: &Context) -> (Context, bool) {
        match started {
            Started::Recording(span) => (span.into_context(Some(parent)), true),
            Started::Dropped(cx) => (cx, false),
        }
    }

    /// The two spans, IDs and times aside, are equal.
    fn assert_same(sdk: &Keep, direct: &Keep) {
        let sdk_spans = sdk.ended.lock().unwrap();
        let direct_spans = direct.ended.lock().unwrap();
        assert_eq!(sdk_spans.len(), 1);
        assert_eq!(direct_spans.len(), 1);
        let (mut a, mut b) = (sdk_spans[0].clone(), direct_spans[0].clone());
        for span in [&mut a, &mut b] {
            span.span_context = SpanContext::new(
                TraceId::INVALID,
                SpanId::INVALID,
                span.span_context.trace_flags(),
                span.span_context.is_remote(),
                span.span_context.trace_state().clone(),
            );
            span.start_time = UNIX_EPOCH;
        }
        assert_eq!(a, b);
        let started = |keep: &Keep| {
            keep.started
                .lock()
                .unwrap()
                .iter()
                .map(|(span, parent)| (span.is_sampled(), parent.span_id()))
                .collect::<Vec<_>>()
        };
        assert_eq!(started(sdk), started(direct));
    }

    fn remote_parent(flags: TraceFlags) -> Context {
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from(0xabc_u128),
            SpanId::from(0xdef_u64),
            flags,
            true,
            TraceState::from_key_value([("vendor", "value")]).unwrap(),
        ))
    }

    #[test]
    fn a_root_is_handed_on_as_the_sdk_hands_its_own() {
        let (sdk, direct, recording) = both(
            Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            &Context::new(),
        );
        assert!(recording);
        assert_same(&sdk, &direct);
        let span = &direct.ended.lock().unwrap()[0];
        assert_eq!(span.name, "renamed");
        assert_eq!(span.attributes.len(), 5);
        assert_eq!(span.attributes[3], KeyValue::new("s", "text"));
        assert_eq!(span.dropped_attributes_count, 3);
        assert_eq!(span.events.len(), 2);
        assert_eq!(span.events.dropped_count, 1);
        assert_eq!(span.events[0].dropped_attributes_count, 1);
        assert_eq!(span.links.len(), 1);
        assert_eq!(span.links.dropped_count, 2);
        assert_eq!(span.status, Status::error("second"));
    }

    #[test]
    fn a_child_of_a_remote_parent_keeps_its_trace_and_its_state() {
        let parent = remote_parent(TraceFlags::SAMPLED);
        let (sdk, direct, _) = both(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)), &parent);
        assert_same(&sdk, &direct);
        let span = &direct.ended.lock().unwrap()[0];
        assert_eq!(span.span_context.trace_id(), TraceId::from(0xabc_u128));
        assert_eq!(span.parent_span_id, SpanId::from(0xdef_u64));
        assert!(span.parent_span_is_remote);
        assert_eq!(span.span_context.trace_state().get("vendor"), Some("value"));
    }

    /// Keeps the spans of one function, by its `code.function.name`.
    #[derive(Clone, Debug)]
    struct ByFunction;

    impl opentelemetry_sdk::trace::ShouldSample for ByFunction {
        fn should_sample(
            &self,
            _: Option<&Context>,
            _: TraceId,
            _: &str,
            _: &SpanKind,
            attributes: &[KeyValue],
            _: &[Link],
        ) -> opentelemetry_sdk::trace::SamplingResult {
            let function = KeyValue::new("code.function.name", "crate::work");
            opentelemetry_sdk::trace::SamplingResult {
                decision: match attributes.contains(&function) {
                    true => SamplingDecision::RecordAndSample,
                    false => SamplingDecision::Drop,
                },
                attributes: Vec::new(),
                trace_state: TraceState::default(),
            }
        }
    }

    #[test]
    fn a_root_sampler_given_in_code_sees_the_first_attributes() {
        let (sdk, direct, recording) =
            both(Sampler::ParentBased(Box::new(ByFunction)), &Context::new());
        assert!(recording);
        assert_same(&sdk, &direct);
    }

    #[test]
    fn every_sampler_decides_as_the_sdks() {
        let samplers = [
            Sampler::AlwaysOn,
            Sampler::AlwaysOff,
            Sampler::TraceIdRatioBased(0.5),
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.5))),
            Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        ];
        let parents = [
            Context::new(),
            remote_parent(TraceFlags::SAMPLED),
            remote_parent(TraceFlags::default()),
        ];
        for sampler in &samplers {
            for parent in &parents {
                let pipeline = Pipeline::new(sampler.clone(), None, limits(), Vec::new());
                for n in 0..200_u128 {
                    let trace_id = match parent.span().span_context().is_valid() {
                        true => parent.span().span_context().trace_id(),
                        false => {
                            TraceId::from(n.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835))
                        }
                    };
                    let sdk = sampler
                        .should_sample(Some(parent), trace_id, SITE.name, &SITE.kind, &[], &[])
                        .decision;
                    let ours = pipeline.decide(&SITE, parent, trace_id, &[], &[]);
                    assert_eq!(ours, sdk, "{sampler:?} under {parent:?}");
                }
            }
        }
    }

    #[test]
    fn a_dropped_span_is_current_with_its_own_id_and_records_nothing() {
        let parent = remote_parent(TraceFlags::default());
        let (keep, pipeline) = kept(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
        let started = start(pipeline, &SITE, &parent, Vec::new(), None);
        let (cx, recording) = in_context(started.ok().unwrap(), &parent);
        assert!(!recording);
        let span = cx.span();
        let context = span.span_context();
        assert_eq!(context.trace_id(), TraceId::from(0xabc_u128));
        assert_ne!(context.span_id(), SpanId::from(0xdef_u64));
        assert!(context.is_valid() && !context.is_sampled());
        assert_eq!(context.trace_state().get("vendor"), Some("value"));
        span.end();
        assert!(keep.ended.lock().unwrap().is_empty());
        assert!(keep.started.lock().unwrap().is_empty());
    }

    #[test]
    fn a_span_whose_box_is_reused_keeps_nothing_of_the_span_before() {
        let (keep, pipeline) = kept(Sampler::AlwaysOn);
        let parent = remote_parent(TraceFlags::SAMPLED);
        // The first span has all that a span can have; the second, started
        // on this thread after the first ended, in the first's box, nothing.
        let started = start(pipeline, &SITE, &parent, vec![link(1, 1)], None);
        let (first, _) = in_context(started.ok().unwrap(), &parent);
        exercise(&first);
        drop(first);
        let started = start(pipeline, &SITE, &Context::new(), Vec::new(), None);
        let (second, _) = in_context(started.ok().unwrap(), &Context::new());
        second.span().end();
        let ended = keep.ended.lock().unwrap();
        let (first, second) = (&ended[0], &ended[1]);
        assert_eq!(first.links.len(), 1);
        assert_eq!(first.name, "renamed");
        assert_ne!(second.span_context.span_id(), first.span_context.span_id());
        assert_eq!(second.parent_span_id, SpanId::INVALID);
        assert_eq!(second.name, SITE.name);
        assert_eq!(second.attributes, callsite::code_attributes(&SITE));
        assert!(second.events.is_empty() && second.links.is_empty());
        assert_eq!(second.status, Status::Unset);
        assert!(second.span_context.trace_state().get("vendor").is_none());
    }

    #[test]
    fn a_span_dropped_unended_is_handed_on_and_none_after_shutdown() {
        let (keep, pipeline) = kept(Sampler::AlwaysOn);
        let start = || {
            let started = start(pipeline, &SITE, &Context::new(), Vec::new(), None);
            in_context(started.ok().unwrap(), &Context::new())
        };
        drop(start());
        assert_eq!(keep.ended.lock().unwrap().len(), 1);
        let (late, _) = start();
        pipeline.shut_down();
        late.span().end();
        assert_eq!(keep.ended.lock().unwrap().len(), 1, "ended after shutdown");
        assert!(
            super::start(pipeline, &SITE, &Context::new(), Vec::new(), None).is_err(),
            "the SDK's tracer makes spans once shut down"
        );
    }

    #[test]
    fn suppressed_telemetry_is_left_to_the_sdk() {
        let pipeline = Pipeline::new(Sampler::AlwaysOn, None, limits(), Vec::new()).leak();
        let links = vec![link(1, 0)];
        let suppressed = Context::new().with_telemetry_suppressed();
        let back = start(pipeline, &SITE, &suppressed, links.clone(), None);
        assert_eq!(back.err(), Some(links));
    }
}
