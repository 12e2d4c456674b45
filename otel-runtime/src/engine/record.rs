//! A recording span made directly (see `direct`), as the calling thread
//! keeps it: what the call recorded and nothing built from the call site,
//! which the export thread turns into the SDK's `SpanData`.
//!
//! Whatever allocates for `SpanData` (its attribute list, the `code.*`
//! values, text arguments) is left to [`Record::into_span_data`], on the
//! thread that exports and frees it: the calling thread does not allocate
//! what another thread frees, which makes both wait on the allocator's
//! lock (see BENCHMARKS.md, "Reading the numbers").

use std::borrow::Cow;
use std::time::SystemTime;

use opentelemetry::trace::{Event, Link, SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLimits, SpanLinks};
use smallvec::SmallVec;

use super::arg::Arg;
use super::callsite::{CallSite, code_attributes, function_of};

/// How many arguments a record keeps without an allocation.
const INLINE_ARGS: usize = 3;

/// One recording span, from its start to the export thread.
///
/// Moved from the calling thread's span to its buffer, so kept small: what
/// most spans never have (links, events, a status, attributes set through
/// the `Span` trait) is boxed apart.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) context: SpanContext,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_is_remote: bool,
    site: &'static CallSite,
    limits: &'static SpanLimits,
    start_time: SystemTime,
    pub(crate) end_time: SystemTime,
    /// The arguments and fields the expansion recorded, in order.
    args: SmallVec<[(&'static str, Arg); INLINE_ARGS]>,
    more: Option<Box<More>>,
}

/// What a span has beyond its arguments, when it has it.
#[derive(Clone, Debug, Default)]
struct More {
    /// Attributes set through the `Span` trait, after the arguments.
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
    events: SpanEvents,
    links: SpanLinks,
    status: Status,
    /// Set when the span was renamed.
    name: Option<Cow<'static, str>>,
}

impl Record {
    #[inline]
    pub(crate) fn new(
        site: &'static CallSite,
        limits: &'static SpanLimits,
        context: SpanContext,
        parent: &SpanContext,
        links: Vec<Link>,
    ) -> Record {
        let start_time = super::clock::now();
        let more = (!links.is_empty()).then(|| {
            Box::new(More {
                links: span_links(links, limits),
                ..More::default()
            })
        });
        Record {
            context,
            parent_span_id: parent.span_id(),
            parent_is_remote: parent.is_valid() && parent.is_remote(),
            site,
            limits,
            start_time,
            end_time: start_time,
            args: SmallVec::new(),
            more,
        }
    }

    /// Sets the end time: `at`, as chosen, or now. Now is never before
    /// the start: a span that started on another thread, from another
    /// anchor of `clock`, may have a start some nanoseconds ahead.
    #[inline]
    pub(crate) fn end(&mut self, at: Option<SystemTime>) {
        self.end_time = match at {
            Some(chosen) => chosen,
            None => super::clock::now().max(self.start_time),
        };
    }

    /// Records an argument (or a field), before the span is current.
    #[inline]
    pub(crate) fn arg(&mut self, key: &'static str, value: Arg) {
        self.args.push((key, value));
    }

    fn more(&mut self) -> &mut More {
        self.more.get_or_insert_default()
    }

    /// Sets an attribute, unless the span has its limit's worth already.
    pub(crate) fn set_attribute(&mut self, attribute: KeyValue) {
        let limit = self.limits.max_attributes_per_span as usize;
        let arguments = CODE_ATTRIBUTES + self.args.len();
        let more = self.more();
        if arguments + more.attributes.len() < limit {
            more.attributes.push(attribute);
        } else {
            more.dropped_attributes_count += 1;
        }
    }

    pub(crate) fn add_event(&mut self, event: Event) {
        let limits = self.limits;
        let events = &mut self.more().events;
        let mut event = event;
        if events.len() < limits.max_events_per_span as usize {
            event.dropped_attributes_count +=
                truncate(&mut event.attributes, limits.max_attributes_per_event);
            events.events.push(event);
        } else {
            events.dropped_count += 1;
        }
    }

    pub(crate) fn add_link(&mut self, link: Link) {
        let limits = self.limits;
        let links = &mut self.more().links;
        let mut link = link;
        if links.len() < limits.max_links_per_span as usize {
            link.dropped_attributes_count +=
                truncate(&mut link.attributes, limits.max_attributes_per_link);
            links.links.push(link);
        } else {
            links.dropped_count += 1;
        }
    }

    pub(crate) fn set_status(&mut self, status: Status) {
        // Ok > Error > Unset: a status only moves up.
        let current = &mut self.more().status;
        if status > *current {
            *current = status;
        }
    }

    pub(crate) fn update_name(&mut self, name: Cow<'static, str>) {
        self.more().name = Some(name);
    }

    /// The span as the SDK's exporters take it, field for field what the
    /// SDK's own span would hand on (the tests in `direct` compare them).
    pub(crate) fn into_span_data(self) -> SpanData {
        let Record {
            context,
            parent_span_id,
            parent_is_remote,
            site,
            limits,
            start_time,
            end_time,
            args,
            more,
        } = self;
        let More {
            attributes: set,
            dropped_attributes_count,
            events,
            links,
            status,
            name,
        } = more.map(|more| *more).unwrap_or_default();
        let mut attributes = code_attributes(site);
        attributes.reserve(args.len() + set.len());
        attributes.extend(
            args.into_iter()
                .map(|(key, value)| KeyValue::new(key, value.into_value())),
        );
        attributes.extend(set);
        // Arguments past the limit are dropped here; attributes set later
        // were counted as they came.
        let dropped = truncate(&mut attributes, limits.max_attributes_per_span);
        SpanData {
            span_context: context,
            parent_span_id,
            parent_span_is_remote: parent_is_remote,
            span_kind: site.kind.clone(),
            name: name.unwrap_or(Cow::Borrowed(site.name)),
            start_time,
            end_time,
            attributes,
            dropped_attributes_count: dropped_attributes_count + dropped,
            events,
            links,
            status,
            // The tracers' scope (see `tracers`), made anew: cheaper than
            // a clone of one.
            instrumentation_scope: InstrumentationScope::builder(site.scope_name)
                .with_version(site.scope_version)
                .build(),
        }
    }
}

/// A record read in place, for an exporter that encodes it without making
/// it `SpanData` first (`init::wire`): the same fields `into_span_data`
/// gives.
#[cfg_attr(
    not(any(feature = "otlp-grpc", feature = "otlp-http")),
    allow(dead_code)
)]
impl Record {
    pub(crate) fn name(&self) -> &str {
        match self.more.as_deref().and_then(|more| more.name.as_deref()) {
            Some(name) => name,
            None => self.site.name,
        }
    }

    pub(crate) fn kind(&self) -> &SpanKind {
        &self.site.kind
    }

    pub(crate) fn start_time(&self) -> SystemTime {
        self.start_time
    }

    /// The instrumentation scope's name and version.
    pub(crate) fn scope(&self) -> (&'static str, &'static str) {
        (self.site.scope_name, self.site.scope_version)
    }

    /// Calls `f` on each attribute kept under the limit, in order (as
    /// `into_span_data` orders them); returns how many were dropped.
    pub(crate) fn attributes(&self, mut f: impl FnMut(&str, Attribute<'_>)) -> u32 {
        let limit = self.limits.max_attributes_per_span as usize;
        let set = self
            .more
            .as_deref()
            .map_or(&[][..], |more| &more.attributes[..]);
        let code = [
            (
                "code.function.name",
                Attribute::Text(function_of(self.site)),
            ),
            ("code.file.path", Attribute::Text(self.site.file)),
            (
                "code.line.number",
                Attribute::Int(i64::from(self.site.line)),
            ),
        ];
        let args = self.args.iter().map(|(key, value)| {
            let value = match value {
                Arg::Short(text) => Attribute::Text(text.as_str()),
                Arg::Value(value) => Attribute::Value(value),
            };
            (*key, value)
        });
        let set_later = set
            .iter()
            .map(|kv| (kv.key.as_str(), Attribute::Value(&kv.value)));
        let all = code.into_iter().chain(args).chain(set_later);
        let total = CODE_ATTRIBUTES + self.args.len() + set.len();
        for (key, value) in all.take(limit) {
            f(key, value);
        }
        let dropped = u32::try_from(total.saturating_sub(limit)).unwrap_or(u32::MAX);
        self.more
            .as_deref()
            .map_or(0, |more| more.dropped_attributes_count)
            + dropped
    }

    pub(crate) fn events(&self) -> Option<&SpanEvents> {
        self.more.as_deref().map(|more| &more.events)
    }

    pub(crate) fn links(&self) -> Option<&SpanLinks> {
        self.more.as_deref().map(|more| &more.links)
    }

    pub(crate) fn status(&self) -> &Status {
        static UNSET: Status = Status::Unset;
        self.more.as_deref().map_or(&UNSET, |more| &more.status)
    }
}

/// An attribute's value as a record holds it.
#[cfg_attr(
    not(any(feature = "otlp-grpc", feature = "otlp-http")),
    allow(dead_code)
)]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attribute<'a> {
    Text(&'a str),
    Int(i64),
    Value(&'a Value),
}

/// `code.function.name`, `code.file.path`, `code.line.number`.
const CODE_ATTRIBUTES: usize = 3;

/// The links given at the start, under the limits, as the SDK keeps them.
fn span_links(mut links: Vec<Link>, limits: &SpanLimits) -> SpanLinks {
    let mut kept = SpanLinks::default();
    if links.is_empty() {
        return kept;
    }
    kept.dropped_count = truncate(&mut links, limits.max_links_per_span);
    for link in &mut links {
        link.dropped_attributes_count =
            truncate(&mut link.attributes, limits.max_attributes_per_link);
    }
    kept.links = links;
    kept
}

/// Keeps the first `limit` items; returns how many were dropped.
fn truncate<T>(items: &mut Vec<T>, limit: u32) -> u32 {
    let limit = limit as usize;
    let dropped = items.len().saturating_sub(limit);
    items.truncate(limit);
    u32::try_from(dropped).unwrap_or(u32::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;
    use std::time::{Duration, UNIX_EPOCH};

    use opentelemetry::trace::{SpanKind, TraceFlags, TraceId, TraceState};

    use super::*;
    use crate::engine::ErrorMode;

    /// The call site of the tests' spans, here and in `direct`.
    pub(crate) static SITE: CallSite = CallSite {
        name: "work",
        kind: SpanKind::Server,
        function: || "crate::work::__otel_here",
        file: "src/work.rs",
        line: 7,
        scope_name: "crate",
        scope_version: "1.2.3",
        attributes: 2,
        errors: ErrorMode::DISPLAY,
        metrics: true,
    };

    fn limits(max_attributes_per_span: u32) -> &'static SpanLimits {
        static LIMITS: OnceLock<Vec<&'static SpanLimits>> = OnceLock::new();
        let all = LIMITS.get_or_init(|| {
            (0..=16)
                .map(|max| {
                    &*Box::leak(Box::new(SpanLimits {
                        max_attributes_per_span: max,
                        ..SpanLimits::default()
                    }))
                })
                .collect()
        });
        all[max_attributes_per_span as usize]
    }

    /// A sampled root record with span ID `id`, ended `id` seconds after
    /// the epoch, under the attribute limit `max_attributes`.
    pub(crate) fn record_under(id: u64, max_attributes: u32) -> Record {
        let context = SpanContext::new(
            TraceId::from(1_u128),
            SpanId::from(id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let mut record = Record::new(
            &SITE,
            limits(max_attributes),
            context,
            &SpanContext::NONE,
            Vec::new(),
        );
        record.end_time = UNIX_EPOCH + Duration::from_secs(id);
        record
    }

    /// A sampled root record with span ID `id`, ended `id` seconds after
    /// the epoch.
    pub(crate) fn record(id: u64) -> Record {
        record_under(id, 16)
    }

    #[test]
    fn an_end_read_now_is_never_before_the_start_and_a_chosen_one_is_kept() {
        // A start read on another thread, from an anchor a little ahead.
        let mut record = record(1);
        let ahead = SystemTime::now() + Duration::from_millis(10);
        record.start_time = ahead;
        record.end(None);
        assert_eq!(record.end_time, ahead);
        // As the SDK does, a time the caller chose is taken as it is.
        let chosen = UNIX_EPOCH + Duration::from_secs(5);
        record.end(Some(chosen));
        assert_eq!(record.end_time, chosen);
    }

    #[test]
    fn arguments_come_after_the_code_attributes_and_before_those_set_later() {
        let mut record = record(1);
        for n in 0..6 {
            record.arg(
                ["a", "b", "c", "d", "e", "f"][n],
                Arg::Value((n as i64).into()),
            );
        }
        record.set_attribute(KeyValue::new("later", true));
        let span = record.into_span_data();
        let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "code.function.name",
                "code.file.path",
                "code.line.number",
                "a",
                "b",
                "c",
                "d",
                "e",
                "f",
                "later"
            ]
        );
        assert_eq!(span.attributes[8], KeyValue::new("f", 5));
        assert_eq!(span.name, "work");
        assert_eq!(span.instrumentation_scope.version(), Some("1.2.3"));
    }

    #[test]
    fn the_attribute_limit_counts_arguments_and_attributes_set_later() {
        let mut record = record_under(1, 5);
        for key in ["a", "b", "c"] {
            record.arg(key, Arg::text("text"));
        }
        record.set_attribute(KeyValue::new("later", true));
        let span = record.into_span_data();
        assert_eq!(span.attributes.len(), 5);
        assert_eq!(span.attributes[4], KeyValue::new("b", "text"));
        assert_eq!(span.dropped_attributes_count, 2);
    }
}
