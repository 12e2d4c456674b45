//! A batch of spans as an OTLP `ExportTraceServiceRequest`, encoded
//! straight from what the batch processor holds: a traced call's record,
//! read in place, or the SDK's `SpanData`. The same message, field for
//! field, that `opentelemetry-proto` builds from `SpanData` and `prost`
//! encodes (the tests compare them), without building it: no `SpanData`
//! for a record, no per-span structures, and buffers kept from batch to
//! batch. Measured in BENCHMARKS.md, "What exporting a span costs".

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{Array, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use prost::encoding::{WireType, encoded_len_varint, key_len};

use super::protobuf::{
    bytes, bytes_len, delimited, delimited_head, delimited_len, encode_key, encode_varint, fixed32,
    fixed64, message, varint,
};
use crate::engine::{Attribute, ExportItem, Record, value_prefix};

/// The encoder of one exporter: what it keeps between batches.
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    /// The request of the last batch.
    out: Vec<u8>,
    /// Each scope's spans, in the order the scopes came.
    scopes: Vec<ScopeSpans>,
    /// How many of `scopes` this batch uses; the rest keep their room.
    used: usize,
    /// Where one span and one of its events or links are written first,
    /// to learn their length.
    span: Vec<u8>,
    inner: Vec<u8>,
    /// The resource's fields, encoded once.
    resource: Vec<u8>,
    resource_schema: String,
}

#[derive(Debug)]
struct ScopeSpans {
    scope: InstrumentationScope,
    /// The `spans` fields, one after another.
    spans: Vec<u8>,
}

impl Encoder {
    /// Encodes the resource that every request carries.
    pub(crate) fn set_resource(&mut self, resource: &Resource) {
        self.resource.clear();
        for (key, value) in resource.iter() {
            key_value(
                &mut self.resource,
                1,
                key.as_str(),
                Attribute::Value(value),
                usize::MAX,
            );
        }
        self.resource_schema = resource.schema_url().unwrap_or_default().to_owned();
    }

    /// The request for `batch`, text values cut to `limit` characters.
    pub(crate) fn encode(&mut self, batch: &[ExportItem], limit: usize) -> &[u8] {
        self.used = 0;
        for item in batch {
            match item {
                ExportItem::Record(record) => self.record(record, limit),
                ExportItem::Span(span) => self.span_data(span, limit),
            }
        }
        self.finish()
    }

    fn record(&mut self, record: &Record, limit: usize) {
        let (name, version) = record.scope();
        let at = self.scope_at(
            |scope| {
                scope.name() == name
                    && scope.version() == Some(version)
                    && scope.schema_url().is_none()
                    && scope.attributes().next().is_none()
            },
            || {
                InstrumentationScope::builder(name)
                    .with_version(version)
                    .build()
            },
        );
        let view = SpanView {
            context: &record.context,
            parent: record.parent_span_id,
            parent_is_remote: record.parent_is_remote,
            name: record.name(),
            kind: record.kind(),
            start: record.start_time(),
            end: record.end_time,
            events: record.events(),
            links: record.links(),
            status: record.status(),
        };
        self.span.clear();
        let (span, inner) = (&mut self.span, &mut self.inner);
        view.write(span, inner, limit, |buf| {
            record.attributes(|key, value| key_value(buf, 9, key, value, limit))
        });
        delimited(&mut self.scopes[at].spans, 2, &self.span);
    }

    fn span_data(&mut self, data: &SpanData, limit: usize) {
        let scope = &data.instrumentation_scope;
        let at = self.scope_at(|kept| kept == scope, || scope.clone());
        let view = SpanView {
            context: &data.span_context,
            parent: data.parent_span_id,
            parent_is_remote: data.parent_span_is_remote,
            name: &data.name,
            kind: &data.span_kind,
            start: data.start_time,
            end: data.end_time,
            events: Some(&data.events),
            links: Some(&data.links),
            status: &data.status,
        };
        self.span.clear();
        let (span, inner) = (&mut self.span, &mut self.inner);
        view.write(span, inner, limit, |buf| {
            attributes_of(buf, 9, &data.attributes, limit);
            data.dropped_attributes_count
        });
        delimited(&mut self.scopes[at].spans, 2, &self.span);
    }

    /// The place of the scope that `is` recognizes among this batch's,
    /// added (from `make`) if it is not there yet.
    fn scope_at(
        &mut self,
        is: impl Fn(&InstrumentationScope) -> bool,
        make: impl FnOnce() -> InstrumentationScope,
    ) -> usize {
        if let Some(at) = self.scopes[..self.used]
            .iter()
            .position(|kept| is(&kept.scope))
        {
            return at;
        }
        // A scope kept from an earlier batch, with its room.
        let at = self.used;
        match self.scopes[at..].iter().position(|kept| is(&kept.scope)) {
            Some(later) => self.scopes.swap(at, at + later),
            None => self.scopes.insert(
                at,
                ScopeSpans {
                    scope: make(),
                    spans: Vec::new(),
                },
            ),
        }
        self.scopes[at].spans.clear();
        self.used += 1;
        at
    }

    /// The request around the spans encoded: one `ResourceSpans` with a
    /// `ScopeSpans` per scope, in the order the scopes came.
    fn finish(&mut self) -> &[u8] {
        let scopes = &self.scopes[..self.used];
        let mut scope_fields = Vec::with_capacity(scopes.len());
        let mut resource_spans =
            delimited_len(1, self.resource.len()) + bytes_len(3, self.resource_schema.len());
        for scope in scopes {
            let fields = scope_body(&scope.scope);
            let body = delimited_len(1, fields.len())
                + scope.spans.len()
                + bytes_len(3, scope.scope.schema_url().unwrap_or_default().len());
            resource_spans += delimited_len(2, body);
            scope_fields.push((fields, body));
        }
        let out = &mut self.out;
        out.clear();
        out.reserve(delimited_len(1, resource_spans));
        delimited_head(out, 1, resource_spans);
        delimited(out, 1, &self.resource);
        for (scope, (fields, body)) in scopes.iter().zip(scope_fields) {
            delimited_head(out, 2, body);
            delimited(out, 1, &fields);
            out.extend_from_slice(&scope.spans);
            bytes(
                out,
                3,
                scope.scope.schema_url().unwrap_or_default().as_bytes(),
            );
        }
        bytes(out, 3, self.resource_schema.as_bytes());
        &self.out
    }
}

/// An `InstrumentationScope` message's fields.
fn scope_body(scope: &InstrumentationScope) -> Vec<u8> {
    let mut body = Vec::new();
    bytes(&mut body, 1, scope.name().as_bytes());
    bytes(&mut body, 2, scope.version().unwrap_or_default().as_bytes());
    for attribute in scope.attributes() {
        key_value(
            &mut body,
            3,
            attribute.key.as_str(),
            Attribute::Value(&attribute.value),
            usize::MAX,
        );
    }
    body
}

/// What a span message is written from, whichever kind the span is.
struct SpanView<'a> {
    context: &'a SpanContext,
    parent: SpanId,
    parent_is_remote: bool,
    name: &'a str,
    kind: &'a SpanKind,
    start: SystemTime,
    end: SystemTime,
    events: Option<&'a SpanEvents>,
    links: Option<&'a SpanLinks>,
    status: &'a Status,
}

impl SpanView<'_> {
    /// Writes the span's fields into `buf`; `attributes` writes its
    /// attributes and says how many were dropped.
    fn write(
        &self,
        buf: &mut Vec<u8>,
        inner: &mut Vec<u8>,
        limit: usize,
        attributes: impl FnOnce(&mut Vec<u8>) -> u32,
    ) {
        let context = self.context;
        bytes(buf, 1, &context.trace_id().to_bytes());
        bytes(buf, 2, &context.span_id().to_bytes());
        bytes(buf, 3, context.trace_state().header().as_bytes());
        if self.parent != SpanId::INVALID {
            bytes(buf, 4, &self.parent.to_bytes());
        }
        bytes(buf, 5, self.name.as_bytes());
        varint(buf, 6, kind(self.kind));
        fixed64(buf, 7, nanos(self.start));
        fixed64(buf, 8, nanos(self.end));
        let dropped = attributes(buf);
        varint(buf, 10, u64::from(dropped));
        if let Some(events) = self.events {
            for event in events.iter() {
                message(buf, 11, inner, |body| {
                    fixed64(body, 1, nanos(event.timestamp));
                    bytes(body, 2, event.name.as_bytes());
                    attributes_of(body, 3, &event.attributes, limit);
                    varint(body, 4, u64::from(event.dropped_attributes_count));
                });
            }
            varint(buf, 12, u64::from(events.dropped_count));
        }
        if let Some(links) = self.links {
            for link in links.iter() {
                let linked = &link.span_context;
                message(buf, 13, inner, |body| {
                    bytes(body, 1, &linked.trace_id().to_bytes());
                    bytes(body, 2, &linked.span_id().to_bytes());
                    bytes(body, 3, linked.trace_state().header().as_bytes());
                    attributes_of(body, 4, &link.attributes, limit);
                    varint(body, 5, u64::from(link.dropped_attributes_count));
                    fixed32(body, 6, flags(linked, linked.is_remote()));
                });
            }
            varint(buf, 14, u64::from(links.dropped_count));
        }
        message(buf, 15, inner, |body| {
            if let Status::Error { description } = self.status {
                bytes(body, 2, description.as_bytes());
            }
            varint(body, 3, status_code(self.status));
        });
        fixed32(buf, 16, flags(context, self.parent_is_remote));
    }
}

fn attributes_of(buf: &mut Vec<u8>, tag: u32, attributes: &[KeyValue], limit: usize) {
    for attribute in attributes {
        key_value(
            buf,
            tag,
            attribute.key.as_str(),
            Attribute::Value(&attribute.value),
            limit,
        );
    }
}

/// The span's flags: its trace flags, and whether its parent is remote,
/// as the specification has them (and `opentelemetry-proto`).
fn flags(context: &SpanContext, remote: bool) -> u32 {
    // SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK, SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK.
    let mut flags = u32::from(context.trace_flags().to_u8()) | 0x100;
    if remote {
        flags |= 0x200;
    }
    flags
}

fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn status_code(status: &Status) -> u64 {
    match status {
        Status::Unset => 0,
        Status::Ok => 1,
        Status::Error { .. } => 2,
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}

/// A `KeyValue` message as field `tag`.
fn key_value(buf: &mut Vec<u8>, tag: u32, key: &str, value: Attribute<'_>, limit: usize) {
    let value = Any::of(value, limit);
    let value_len = value.len();
    delimited_head(
        buf,
        tag,
        bytes_len(1, key.len()) + delimited_len(2, value_len),
    );
    bytes(buf, 1, key.as_bytes());
    delimited_head(buf, 2, value_len);
    value.write(buf);
}

/// An `AnyValue`: the one field of its `oneof` that is set, written even
/// at its default.
enum Any<'a> {
    Text(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    Array(&'a Array, usize),
}

impl<'a> Any<'a> {
    fn of(value: Attribute<'a>, limit: usize) -> Any<'a> {
        match value {
            Attribute::Text(text) => Any::text(text, limit),
            Attribute::Int(number) => Any::Int(number),
            Attribute::Value(value) => match value {
                Value::Bool(flag) => Any::Bool(*flag),
                Value::I64(number) => Any::Int(*number),
                Value::F64(number) => Any::Double(*number),
                Value::String(text) => Any::text(text.as_str(), limit),
                Value::Array(array) => Any::Array(array, limit),
                // A kind of value added after this was written: as text.
                other => Any::Text(Cow::Owned(other.to_string())),
            },
        }
    }

    fn text(text: &'a str, limit: usize) -> Any<'a> {
        Any::Text(Cow::Borrowed(value_prefix(text, limit)))
    }

    /// The length of the `AnyValue` message's body.
    fn len(&self) -> usize {
        match *self {
            Any::Text(ref text) => delimited_len(1, text.len()),
            Any::Bool(_) => key_len(2) + 1,
            Any::Int(number) => key_len(3) + encoded_len_varint(number as u64),
            Any::Double(_) => key_len(4) + 8,
            Any::Array(array, limit) => delimited_len(5, array_len(array, limit)),
        }
    }

    fn write(&self, buf: &mut Vec<u8>) {
        match *self {
            Any::Text(ref text) => delimited(buf, 1, text.as_bytes()),
            Any::Bool(flag) => {
                encode_key(2, WireType::Varint, buf);
                encode_varint(u64::from(flag), buf);
            }
            Any::Int(number) => {
                encode_key(3, WireType::Varint, buf);
                encode_varint(number as u64, buf);
            }
            Any::Double(number) => {
                encode_key(4, WireType::SixtyFourBit, buf);
                buf.extend_from_slice(&number.to_le_bytes());
            }
            Any::Array(array, limit) => {
                delimited_head(buf, 5, array_len(array, limit));
                each_of(array, limit, |element| {
                    delimited_head(buf, 1, element.len());
                    element.write(buf);
                });
            }
        }
    }
}

/// The length of an `ArrayValue` message's body.
fn array_len(array: &Array, limit: usize) -> usize {
    let mut len = 0;
    each_of(array, limit, |element| {
        len += delimited_len(1, element.len())
    });
    len
}

/// Calls `f` on each element of `array`, as an `AnyValue`.
fn each_of(array: &Array, limit: usize, mut f: impl FnMut(Any<'_>)) {
    match array {
        Array::Bool(flags) => flags.iter().for_each(|flag| f(Any::Bool(*flag))),
        Array::I64(numbers) => numbers.iter().for_each(|number| f(Any::Int(*number))),
        Array::F64(numbers) => numbers.iter().for_each(|number| f(Any::Double(*number))),
        Array::String(texts) => texts
            .iter()
            .for_each(|text| f(Any::text(text.as_str(), limit))),
        // A kind of array added after this was written: left empty.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use opentelemetry::StringValue;
    use opentelemetry::trace::{Event, Link, SpanContext, TraceFlags, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use prost::Message as _;

    use super::*;
    use crate::engine::record::tests::record;
    use crate::engine::{Arg, cut_span};

    /// What `opentelemetry-otlp` sends for `spans`: its own conversion
    /// and `prost`'s encoding, after the text values are cut as `init`'s
    /// pipeline cuts them.
    fn theirs(
        spans: Vec<SpanData>,
        resource: &Resource,
        limit: usize,
    ) -> ExportTraceServiceRequest {
        let spans = spans
            .into_iter()
            .map(|mut span| {
                cut_span(&mut span, limit);
                span
            })
            .collect();
        let resource = ResourceAttributesWithSchema::from(resource);
        ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(spans, &resource),
        }
    }

    /// What this encoder sends, decoded.
    fn ours(
        encoder: &mut Encoder,
        batch: &[ExportItem],
        limit: usize,
    ) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest::decode(encoder.encode(batch, limit)).unwrap()
    }

    fn context(trace: u128, span: u64, remote: bool, state: &str) -> SpanContext {
        SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            remote,
            state.parse::<TraceState>().unwrap(),
        )
    }

    /// A record with everything a record may have.
    fn full_record(id: u64) -> Record {
        let mut record = record(id);
        record.arg("count", Arg::Value(Value::I64(-3)));
        record.arg("query", Arg::text("SELECT 1"));
        record.arg("long", Arg::text(&"é".repeat(40)));
        record.arg("ratio", Arg::Value(Value::F64(0.0)));
        record.arg("ok", Arg::Value(Value::Bool(false)));
        record.set_attribute(KeyValue::new(
            "tags",
            Value::Array(vec![StringValue::from("a"), StringValue::from("bcdefgh")].into()),
        ));
        record.set_attribute(KeyValue::new("empty", ""));
        record.add_event(Event::new(
            "exception",
            UNIX_EPOCH + Duration::from_nanos(1_234_567_891),
            vec![KeyValue::new("exception.message", "too long for the limit")],
            2,
        ));
        record.add_link(Link::new(
            context(9, 10, true, "k=v"),
            vec![KeyValue::new("n", 1_i64)],
            1,
        ));
        record.set_status(Status::error("declined"));
        record.update_name(Cow::Borrowed("renamed"));
        record.end_time = UNIX_EPOCH + Duration::from_secs(id) + Duration::from_nanos(17);
        record
    }

    /// An SDK span under a remote parent, of a scope with attributes.
    fn sdk_span(id: u64) -> SpanData {
        let mut span = crate::engine::batch_tests_span(id);
        span.span_context = context(5, id, false, "a=1,b=2");
        span.parent_span_id = SpanId::from(77);
        span.parent_span_is_remote = true;
        span.span_kind = SpanKind::Client;
        span.attributes = vec![
            KeyValue::new("http.response.status_code", 200_i64),
            KeyValue::new("numbers", Value::Array(vec![1_i64, -2].into())),
            KeyValue::new("flags", Value::Array(vec![true, false].into())),
            KeyValue::new("floats", Value::Array(vec![0.5, 0.0].into())),
        ];
        span.dropped_attributes_count = 3;
        span.events.dropped_count = 4;
        span.links.dropped_count = 5;
        span.status = Status::Ok;
        span.instrumentation_scope = InstrumentationScope::builder("tracing")
            .with_version("0.1")
            .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
            .with_attributes([KeyValue::new("scope.attr", "x")])
            .build();
        span
    }

    fn resource() -> Resource {
        Resource::builder_empty()
            .with_attributes([
                KeyValue::new("service.name", "orders"),
                KeyValue::new("service.instance.id", 7_i64),
            ])
            .with_schema_url([], "https://opentelemetry.io/schemas/1.27.0")
            .build()
    }

    /// Compared with one resource: the order of its attributes is a hash
    /// map's, the same for the same resource.
    fn compare(batch: Vec<ExportItem>, limit: usize) {
        let resource = resource();
        let mut encoder = Encoder::default();
        encoder.set_resource(&resource);
        let mine = ours(&mut encoder, &batch, limit);
        let spans = batch
            .into_iter()
            .map(|item| match item {
                ExportItem::Record(record) => record.into_span_data(),
                ExportItem::Span(span) => span,
            })
            .collect();
        assert_eq!(mine, theirs(spans, &resource, limit));
    }

    #[test]
    fn a_record_is_sent_field_for_field_as_opentelemetry_otlp_sends_its_span_data() {
        compare(vec![ExportItem::Record(full_record(1))], usize::MAX);
        compare(vec![ExportItem::Record(record(2))], usize::MAX);
    }

    #[test]
    fn sdk_spans_and_records_of_several_scopes_group_as_opentelemetry_otlp_groups_them() {
        let batch = vec![
            ExportItem::Record(full_record(1)),
            ExportItem::Span(sdk_span(2)),
            ExportItem::Record(record(3)),
            ExportItem::Span(crate::engine::batch_tests_span(4)),
            ExportItem::Span(sdk_span(5)),
        ];
        compare(batch, usize::MAX);
    }

    #[test]
    fn text_values_are_cut_to_the_limit_as_the_pipeline_cuts_them() {
        let batch = vec![
            ExportItem::Record(full_record(1)),
            ExportItem::Span(sdk_span(2)),
        ];
        compare(batch, 5);
    }

    #[test]
    fn buffers_kept_from_one_batch_do_not_leak_into_the_next() {
        let resource = resource();
        let mut encoder = Encoder::default();
        encoder.set_resource(&resource);
        let first = vec![
            ExportItem::Span(sdk_span(1)),
            ExportItem::Record(full_record(2)),
        ];
        let _ = ours(&mut encoder, &first, usize::MAX);
        // The scopes come in the other order, and one is missing.
        let third = record(3);
        let mine = ours(
            &mut encoder,
            &[ExportItem::Record(third.clone())],
            usize::MAX,
        );
        assert_eq!(
            mine,
            theirs(vec![third.into_span_data()], &resource, usize::MAX)
        );
    }
}
