#!/usr/bin/env python3
"""The Python side of the B3 cross-check (tests/b3.rs), with the official
OpenTelemetry Python B3 propagators.

Reads one JSON object on standard input: `format` (`b3` for the single
header, `b3multi` for the `X-B3-*` headers) and `headers` (what the Rust
side injected). Prints one JSON object: what Python extracts from those
headers (`trace_id`, `span_id` in hex, `sampled`), and the headers Python
injects, in the same format, for the context `0af7651916cd43dd8448eb211c80319c`
/ `b7ad6b7169203331`, sampled.
"""
import json
import sys

from opentelemetry import trace
from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

asked = json.load(sys.stdin)
propagator = B3SingleFormat() if asked["format"] == "b3" else B3MultiFormat()

extracted = trace.get_current_span(propagator.extract(asked["headers"])).get_span_context()

ours = SpanContext(
    trace_id=0x0AF7651916CD43DD8448EB211C80319C,
    span_id=0xB7AD6B7169203331,
    is_remote=False,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)
headers = {}
propagator.inject(headers, context=trace.set_span_in_context(NonRecordingSpan(ours)))

json.dump(
    {
        "trace_id": format(extracted.trace_id, "032x"),
        "span_id": format(extracted.span_id, "016x"),
        "sampled": extracted.trace_flags.sampled,
        "valid": extracted.is_valid,
        "headers": headers,
    },
    sys.stdout,
)
