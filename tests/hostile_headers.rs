//! Whatever a client sends in `traceparent`, `tracestate` and `baggage`,
//! extraction never panics: it yields a valid remote parent or no parent at
//! all, and a `traceparent` that the W3C propagator rejects starts a new
//! trace. Both ways in: an `http::HeaderMap` (whose `HeaderValue` refuses
//! some bytes, and whose extractor skips values that are not visible
//! ASCII) and a string map (which takes any string).

use std::collections::HashMap;

use http::{HeaderMap, HeaderValue};
use otel_runtime::opentelemetry::baggage::BaggageExt as _;
use otel_runtime::opentelemetry::trace::{SpanContext, TraceContextExt as _, TraceId};
use otel_runtime::opentelemetry::{Context, global};
use otel_runtime::testing::capture;
use otel_runtime::{propagation, traced};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// What `init` installs by default.
fn default_propagators() {
    global::set_text_map_propagator(propagation::default_propagator());
}

#[traced(kind = "server", parent = cx)]
fn serve(cx: &Context) -> SpanContext {
    Context::current().span().span_context().clone()
}

/// A valid remote parent, or none; baggage within the W3C limits.
fn assert_valid_or_empty(cx: &Context) {
    if cx.has_active_span() {
        let parent = cx.span().span_context().clone();
        assert!(parent.is_valid() && parent.is_remote(), "{parent:?}");
    }
    assert!(
        cx.baggage().len() <= 64,
        "{} baggage entries",
        cx.baggage().len()
    );
}

/// A traced call under `cx` continues its trace, or begins a new one.
fn assert_served(cx: &Context) {
    let (inside, spans) = capture(|| serve(cx));
    assert!(inside.is_valid());
    if cx.has_active_span() {
        assert_eq!(inside.trace_id(), cx.span().span_context().trace_id());
    } else {
        assert_ne!(
            inside.trace_id(),
            spans.trace_id(),
            "not the caller's trace"
        );
    }
}

/// A traced call under `cx` begins a new trace.
fn assert_new_trace(cx: &Context, header: &str) {
    assert!(!cx.has_active_span(), "{header:?} was accepted");
    let (inside, spans) = capture(|| serve(cx));
    assert!(inside.is_valid());
    assert_ne!(inside.trace_id(), spans.trace_id());
    assert!(spans.is_empty(), "the server span is in a trace of its own");
}

fn string_map(headers: &[(&str, &str)]) -> HashMap<String, String> {
    headers
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// The headers that `HeaderValue` accepts; the others could not arrive.
fn header_map(headers: &[(&'static str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (key, value) in headers {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            map.append(*key, value);
        }
    }
    map
}

fn id(digits: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9a-f]{{{digits}}}"))
        .unwrap()
        .prop_filter("an all-zero ID is invalid", |id| {
            id.bytes().any(|b| b != b'0')
        })
}

/// A `traceparent` that the W3C specification says to ignore (the short
/// IDs, leading `+` and trailing `-` that `opentelemetry_sdk` alone would
/// take among them: see `tests/propagation.rs`).
fn malformed_traceparent() -> impl Strategy<Value = String> {
    let not_hex = "[g-zG-Z!#$%&*.:;<=>?@_~ é…\u{1F600}]";
    prop_oneof![
        // A version that no parser knows, or no version.
        ("ff|[g-zG-Z]{2}|[1-9a-f][0-9a-f]{2,6}|", id(32), id(16))
            .prop_map(|(v, t, s)| format!("{v}-{t}-{s}-01")),
        // A trace ID with a character that is not a hex digit.
        (id(32), id(16), 0..32usize, not_hex)
            .prop_map(|(t, s, at, c)| { format!("00-{}-{s}-01", replace_at(&t, at, &c)) }),
        // A span ID with one.
        (id(32), id(16), 0..16usize, not_hex)
            .prop_map(|(t, s, at, c)| { format!("00-{t}-{}-01", replace_at(&s, at, &c)) }),
        // Upper-case hex.
        (id(32), id(16))
            .prop_filter("a letter to raise", |(t, _)| t.bytes().any(|b| b > b'9'))
            .prop_map(|(t, s)| format!("00-{}-{s}-01", t.to_uppercase())),
        // All-zero IDs.
        id(16).prop_map(|s| format!("00-{}-{s}-01", "0".repeat(32))),
        id(32).prop_map(|t| format!("00-{t}-{}-01", "0".repeat(16))),
        // Too long to be a 128-bit or 64-bit number.
        ("[1-9a-f][0-9a-f]{32,40}", id(16)).prop_map(|(t, s)| format!("00-{t}-{s}-01")),
        (id(32), "[1-9a-f][0-9a-f]{16,24}").prop_map(|(t, s)| format!("00-{t}-{s}-01")),
        // Flags that are not one byte of hex.
        (id(32), id(16), "[1-9a-f][0-9a-f]{2,4}|[g-z]{1,2}|")
            .prop_map(|(t, s, f)| format!("00-{t}-{s}-{f}")),
        // Parts missing, or one too many for version 00.
        (id(32), id(16)).prop_map(|(t, s)| format!("00-{t}-{s}")),
        id(32).prop_map(|t| format!("00-{t}")),
        (id(32), id(16), "[a-z0-9]{1,8}").prop_map(|(t, s, x)| format!("00-{t}-{s}-01-{x}")),
        // IDs too short, a stray sign or a trailing dash.
        ("[1-9a-f][0-9a-f]{0,30}", id(16)).prop_map(|(t, s)| format!("00-{t}-{s}-01")),
        (id(32), "[1-9a-f][0-9a-f]{0,14}").prop_map(|(t, s)| format!("00-{t}-{s}-01")),
        (id(32), id(16)).prop_map(|(t, s)| format!("+0-{t}-{s}-01")),
        (id(32), id(16)).prop_map(|(t, s)| format!("00-{t}-{s}-01-")),
    ]
}

fn replace_at(id: &str, at: usize, with: &str) -> String {
    let mut chars: Vec<String> = id.chars().map(String::from).collect();
    chars[at] = with.to_owned();
    chars.concat()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        // Beside this file: the default looks for a `lib.rs`, which an
        // integration test has none of.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::with_cases(cases)
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_strings_in_a_string_map(
        traceparent in any::<String>(),
        tracestate in any::<String>(),
        baggage in any::<String>(),
    ) {
        default_propagators();
        let cx = propagation::extract_from(&string_map(&[
            ("traceparent", &traceparent),
            ("tracestate", &tracestate),
            ("baggage", &baggage),
        ]));
        assert_valid_or_empty(&cx);
        assert_served(&cx);
    }

    #[test]
    fn any_bytes_in_a_header_map(
        traceparent in proptest::collection::vec(any::<u8>(), 0..128),
        tracestate in proptest::collection::vec(any::<u8>(), 0..256),
        baggage in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        default_propagators();
        let cx = propagation::extract(&header_map(&[
            ("traceparent", &traceparent),
            ("tracestate", &tracestate),
            ("baggage", &baggage),
        ]));
        assert_valid_or_empty(&cx);
        assert_served(&cx);
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace(
        traceparent in malformed_traceparent(),
        tracestate in "[ -~]{0,64}",
    ) {
        default_propagators();
        let strings = string_map(&[("traceparent", &traceparent), ("tracestate", &tracestate)]);
        assert_new_trace(&propagation::extract_from(&strings), &traceparent);
        let headers = header_map(&[
            ("traceparent", traceparent.as_bytes()),
            ("tracestate", tracestate.as_bytes()),
        ]);
        assert_new_trace(&propagation::extract(&headers), &traceparent);
    }

    #[test]
    fn a_valid_traceparent_is_continued_whatever_the_tracestate(
        trace in id(32),
        span in id(16),
        flags in "0[01]",
        tracestate in any::<String>(),
    ) {
        default_propagators();
        let traceparent = format!("00-{trace}-{span}-{flags}");
        let cx = propagation::extract_from(&string_map(&[
            ("traceparent", &traceparent),
            ("tracestate", &tracestate),
        ]));
        let parent = cx.span().span_context().clone();
        prop_assert_eq!(parent.trace_id().to_string(), trace);
        prop_assert_eq!(parent.span_id().to_string(), span);
        prop_assert_eq!(parent.is_sampled(), flags == "01");
    }
}

proptest! {
    // Each case builds and parses thousands of entries.
    #![proptest_config(config(24))]

    #[test]
    fn thousands_of_baggage_entries(
        entries in proptest::collection::vec(
            ("[!#-+.-9A-Z^-z|~-]{0,12}", "[ -~]{0,24}", proptest::option::of("[a-z]{1,4}(=[a-z]{0,4})?")),
            1000..5000,
        ),
    ) {
        default_propagators();
        let baggage = entries
            .iter()
            .map(|(key, value, property)| match property {
                Some(property) => format!("{key}={value};{property}"),
                None => format!("{key}={value}"),
            })
            .collect::<Vec<_>>()
            .join(",");
        let strings = string_map(&[("baggage", &baggage)]);
        assert_valid_or_empty(&propagation::extract_from(&strings));
        let headers = header_map(&[("baggage", baggage.as_bytes())]);
        assert_valid_or_empty(&propagation::extract(&headers));
    }
}

#[test]
fn huge_values() {
    default_propagators();
    let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let huge_id = format!("00-{}-00f067aa0ba902b7-01", "f".repeat(1 << 20));
    let huge_state = vec!["k=v"; 1 << 18].join(",");
    let huge_baggage = format!("k={}", "v".repeat(1 << 20));
    for (traceparent, tracestate, baggage) in [
        (huge_id.as_str(), "", ""),
        (valid, huge_state.as_str(), huge_baggage.as_str()),
        (
            &*"-".repeat(1 << 20),
            &*",".repeat(1 << 20),
            &*";".repeat(1 << 20),
        ),
    ] {
        let headers = [
            ("traceparent", traceparent),
            ("tracestate", tracestate),
            ("baggage", baggage),
        ];
        let cx = propagation::extract_from(&string_map(&headers));
        assert_valid_or_empty(&cx);
        assert_served(&cx);
        let bytes = headers.map(|(key, value)| (key, value.as_bytes()));
        assert_valid_or_empty(&propagation::extract(&header_map(&bytes)));
    }
    let cx = propagation::extract_from(&string_map(&[("traceparent", &huge_id)]));
    assert_new_trace(&cx, "a 1 MiB trace ID");
    let cx = propagation::extract_from(&string_map(&[
        ("traceparent", valid),
        ("tracestate", &huge_state),
    ]));
    assert_eq!(
        cx.span().span_context().trace_id(),
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        "a bad tracestate is dropped, the parent kept"
    );
}
