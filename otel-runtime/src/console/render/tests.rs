//! The plain rendering pinned as snapshots, and the guarantees a snapshot
//! cannot show: input order, line width, no escape codes, size.

use std::time::{Duration, Instant, SystemTime};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

use unicode_width::UnicodeWidthStr as _;

use super::{BOLD_RED, CYAN, LogLine, Style, YELLOW, human, render_log_line, render_trace};

const TRACE: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;
const WIDTH: usize = 100;

/// A fixed instant, `ms` milliseconds into the trace.
fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

/// A span of the test trace from `start` to `end` milliseconds; `parent` 0
/// means none.
fn span(id: u64, parent: u64, name: &str, start: u64, end: u64) -> SpanData {
    span_in(TRACE, id, parent, name, start, end)
}

/// The same in any trace; the exporter's tests use it too.
pub(crate) fn span_in(
    trace: u128,
    id: u64,
    parent: u64,
    name: &str,
    start: u64,
    end: u64,
) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(id),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: SpanId::from(parent),
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: name.to_owned().into(),
        start_time: at(start),
        end_time: at(end),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("shop").build(),
    }
}

/// What `#[traced]` records on every span, which the rendering hides.
fn code_attributes(function: &'static str, line: i64) -> Vec<KeyValue> {
    vec![
        KeyValue::new("code.function.name", function),
        KeyValue::new("code.file.path", "src/payment.rs"),
        KeyValue::new("code.line.number", line),
    ]
}

fn event(name: &'static str, ms: u64, attributes: Vec<KeyValue>) -> Event {
    Event::new(name, at(ms), attributes, 0)
}

fn plain(spans: &[SpanData]) -> String {
    render_trace(
        spans,
        &[],
        &Style {
            color: false,
            width: WIDTH,
        },
    )
}

/// Every line within `width` columns, as a terminal shows it.
fn assert_fits(text: &str, width: usize) {
    for line in text.lines() {
        assert!(line.width() <= width, "too wide: {line:?}");
    }
}

/// The OpenTelemetry tutorial's trace: a payment, its query and its charge.
fn tutorial() -> Vec<SpanData> {
    let mut payment = span(1, 0, "process_payment", 0, 150);
    payment.attributes = code_attributes("shop::process_payment", 12);
    payment
        .attributes
        .extend([KeyValue::new("user_id", 42), KeyValue::new("amount", 99.99)]);
    let mut query = span(2, 1, "db_query", 5, 35);
    query.span_kind = SpanKind::Client;
    query.attributes = code_attributes("shop::db_query", 30);
    query.attributes.extend([
        KeyValue::new("query", "SELECT * FROM orders WHERE user_id = $1"),
        KeyValue::new("rows_returned", 3),
    ]);
    let mut charge = span(3, 1, "stripe_charge", 40, 145);
    charge.span_kind = SpanKind::Client;
    charge.attributes = code_attributes("shop::stripe_charge", 48);
    charge.attributes.extend([
        KeyValue::new("api_version", "2023-10-16"),
        KeyValue::new("charge_id", "ch_42"),
    ]);
    vec![payment, query, charge]
}

#[test]
fn tutorial_tree() {
    let text = plain(&tutorial());
    assert_fits(&text, WIDTH);
    assert!(!text.contains("code."), "code attributes are hidden");
    insta::assert_snapshot!(text);
}

#[test]
fn spans_in_any_order_render_the_same() {
    let ordered = plain(&tutorial());
    let mut reversed = tutorial();
    reversed.reverse();
    assert_eq!(plain(&reversed), ordered);
    // Children finish before their parent: the exporter sees them first.
    let mut finished = tutorial();
    finished.rotate_left(1);
    assert_eq!(plain(&finished), ordered);
}

#[test]
fn siblings_sort_by_start_time() {
    let spans = [
        span(1, 0, "root", 0, 100),
        span(4, 1, "third", 60, 90),
        span(2, 1, "first", 0, 20),
        span(3, 1, "second", 30, 50),
    ];
    let text = plain(&spans);
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            line.trim_start_matches(['├', '└', '─', ' '])
                .split(' ')
                .next()
        })
        .collect();
    assert_eq!(names, ["root", "first", "second", "third"]);
}

#[test]
fn error_with_exception() {
    let checkout = span(1, 0, "checkout", 0, 80);
    let mut charge = span(2, 1, "charge_card", 10, 70);
    charge.attributes = vec![KeyValue::new("error.type", "CardError::Declined")];
    charge.status = Status::error("card declined");
    charge.events.events.push(event(
        "exception",
        70,
        vec![
            KeyValue::new("exception.type", "shop::CardError"),
            KeyValue::new("exception.message", "card declined"),
            KeyValue::new(
                "exception.source_chain",
                Value::Array(Array::String(vec![StringValue::from("insufficient funds")])),
            ),
        ],
    ));
    let mut parse = span(3, 2, "parse_response", 60, 68);
    parse.attributes = vec![KeyValue::new("error.type", "panic")];
    parse.status = Status::error("missing field `id`");
    parse.events.events.push(event(
        "exception",
        68,
        vec![
            KeyValue::new("exception.type", "panic"),
            KeyValue::new("exception.message", "missing field `id`"),
            KeyValue::new("exception.stacktrace", "at src/stripe.rs:42:9"),
        ],
    ));
    let mut cache = span(4, 1, "load_cart", 2, 8);
    cache.events.events.push(event(
        "cache miss",
        3,
        vec![KeyValue::new("key", "cart:42")],
    ));
    let text = plain(&[checkout, charge, parse, cache]);
    assert_fits(&text, WIDTH);
    insta::assert_snapshot!(text);
}

#[test]
fn bridged_events_show_their_level_and_fields_only() {
    let mut query = span(1, 0, "db_query", 0, 40);
    let bridged = |level: &'static str, fields: Vec<KeyValue>| {
        let mut attributes = vec![
            KeyValue::new("level", level),
            KeyValue::new("target", "shop::db"),
            KeyValue::new("code.file.path", "src/db.rs"),
            KeyValue::new("code.line.number", 12_i64),
        ];
        attributes.extend(fields);
        attributes
    };
    query.events.events.extend([
        event("connected", 2, bridged("DEBUG", vec![])),
        event(
            "slow query",
            30,
            bridged("WARN", vec![KeyValue::new("rows", 3_i64)]),
        ),
        event("cache miss", 31, vec![KeyValue::new("key", "cart:42")]),
    ]);
    let text = plain(&[query]);
    assert!(text.contains("! WARN slow query: rows = 3\n"), "{text}");
    assert!(text.contains("! DEBUG connected\n"), "{text}");
    assert!(!text.contains("shop::db"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn missing_parents_root_their_own_trees() {
    let mut server = span(10, 0xfeed, "GET /orders", 0, 120);
    server.parent_span_is_remote = true;
    server.span_kind = SpanKind::Server;
    let query = span(11, 10, "db_query", 10, 40);
    // Its parent is still running, or was dropped.
    let late = span(12, 0xdead, "send_email", 50, 110);
    let text = plain(&[late, query, server]);
    insta::assert_snapshot!(text);
}

#[test]
fn deep_chain_stops_indenting() {
    // The root is at depth 0.
    let spans: Vec<SpanData> = (0..40)
        .map(|depth| {
            span(
                depth + 1,
                depth,
                &format!("depth_{depth}"),
                depth,
                200 - depth,
            )
        })
        .collect();
    let text = plain(&spans);
    assert_eq!(text.lines().count(), 41);
    assert_fits(&text, WIDTH);
    insta::assert_snapshot!(text);
}

#[test]
fn wide_trace_of_300_siblings() {
    let mut spans = vec![span(1, 0, "batch", 0, 3_000)];
    spans.extend((0..300).map(|n| span(n + 2, 1, &format!("item_{n}"), n * 10, n * 10 + 8)));
    let started = Instant::now();
    let text = plain(&spans);
    assert!(started.elapsed() < Duration::from_secs(2));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 301);
    assert!(lines[0].ends_with("  301 spans"), "{}", lines[0]);
    assert!(lines[2].starts_with("├─ item_0 "));
    assert!(lines[301].starts_with("└─ item_299 "));
    assert_fits(&text, WIDTH);
}

#[test]
fn very_deep_trace_neither_overflows_nor_slows_down() {
    let spans: Vec<SpanData> = (1..=20_000)
        .map(|n| span(n, n - 1, "step", n, 40_000 - n))
        .collect();
    let started = Instant::now();
    let text = plain(&spans);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(text.lines().count(), 20_001);
    assert!(text.contains("[19999] step"));
}

#[test]
fn long_names_and_values_are_cut_to_the_width() {
    let mut long = span(
        1,
        0,
        "a_function_with_a_remarkably_long_name_that_goes_on_and_on_past_any_column",
        0,
        10,
    );
    long.attributes = vec![KeyValue::new("payload", "x".repeat(300))];
    let short = span(2, 1, "short", 2, 4);
    let text = plain(&[long, short]);
    assert_fits(&text, WIDTH);
    insta::assert_snapshot!(text);
}

#[test]
fn color_only_when_asked() {
    let mut spans = tutorial();
    spans[2].status = Status::error("declined");
    let colored = render_trace(
        &spans,
        &[],
        &Style {
            color: true,
            width: WIDTH,
        },
    );
    let code = |paint: super::Paint| paint.render().to_string();
    assert!(colored.contains(&code(CYAN)), "bars are colored");
    assert!(colored.contains(&code(BOLD_RED)), "errors are red");
    assert!(colored.contains(&anstyle::Reset.render().to_string()));
    assert!(!plain(&spans).contains('\x1b'));
}

#[test]
fn recorded_text_cannot_send_escape_codes_or_break_lines() {
    let mut sneaky = span(1, 0, "evil\x1b[31mname", 0, 10);
    sneaky.attributes = vec![KeyValue::new("multi", "line one\nline two")];
    let text = plain(&[sneaky]);
    assert!(!text.contains('\x1b'));
    assert!(text.contains("evil\\u{1b}[31mname"));
    assert!(text.contains("multi = line one\\nline two"));
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn links_and_dropped_counts_are_shown() {
    let mut batch = span(1, 0, "consume", 0, 10);
    batch.span_kind = SpanKind::Consumer;
    let other = SpanContext::new(
        TraceId::from(7),
        SpanId::from(9),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    batch.links.links.push(Link::with_context(other));
    batch.dropped_attributes_count = 2;
    let text = plain(&[batch]);
    assert!(text.contains("kind = consumer"), "{text}");
    assert!(
        text.contains("link = 00000000000000000000000000000007:0000000000000009"),
        "{text}"
    );
    assert!(text.contains("… 2 more attributes dropped"), "{text}");
}

#[test]
fn a_parent_cycle_still_shows_every_span_once() {
    let spans = [span(1, 2, "a", 0, 10), span(2, 1, "b", 1, 9)];
    let text = plain(&spans);
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[test]
fn a_lone_instant_span_fills_the_axis() {
    let text = plain(&[span(1, 0, "tick", 5, 5)]);
    assert!(text.contains(&"█".repeat(30)), "{text}");
    assert!(text.contains("trace 4bf92f3577b34da6a3ce929d0e0e4736  0ms  1 span\n"));
}

#[test]
fn no_spans_no_text() {
    assert_eq!(plain(&[]), "");
}

#[test]
fn durations_read_to_three_digits() {
    let cases = [
        (Duration::ZERO, "0ms"),
        (Duration::from_nanos(850), "850ns"),
        (Duration::from_nanos(12_345), "12.3µs"),
        (Duration::from_nanos(999_600), "1ms"),
        (Duration::from_millis(30), "30ms"),
        (Duration::from_micros(1_500), "1.5ms"),
        (Duration::from_millis(1_234), "1.23s"),
        (Duration::from_secs(4_000), "4000s"),
    ];
    for (duration, text) in cases {
        assert_eq!(human(duration), text, "{duration:?}");
    }
}

/// A log record written `ms` into the trace, in span `span` (0: none).
fn log(span: u64, ms: u64, level: &str, message: &str, fields: &[(&str, &str)]) -> LogLine {
    LogLine {
        time: at(ms),
        span_id: SpanId::from(span),
        level: level.to_owned(),
        target: "shop::payment".to_owned(),
        message: message.to_owned(),
        fields: fields
            .iter()
            .map(|&(key, value)| (key.to_owned(), value.to_owned()))
            .chain([
                ("code.file.path".to_owned(), "src/payment.rs".to_owned()),
                ("code.line.number".to_owned(), "7".to_owned()),
            ])
            .collect(),
    }
}

fn plain_with(spans: &[SpanData], logs: &[LogLine]) -> String {
    render_trace(
        spans,
        logs,
        &Style {
            color: false,
            width: WIDTH,
        },
    )
}

#[test]
fn log_records_sit_under_their_spans_in_time_order() {
    let logs = [
        // Given out of order, as threads write them.
        log(1, 140, "INFO", "payment done", &[]),
        log(1, 1, "INFO", "payment started", &[("user_id", "42")]),
        log(2, 20, "DEBUG", "query sent", &[("table", "orders")]),
        log(1, 38, "WARN", "retrying the charge", &[("attempt", "2")]),
        log(3, 100, "ERROR", "card declined", &[]),
        // Its span is not among the printed ones.
        log(9, 60, "INFO", "from a span still open", &[]),
    ];
    let text = plain_with(&tutorial(), &logs);
    assert_fits(&text, WIDTH);
    assert!(!text.contains("src/payment.rs"), "{text}");
    let found: Vec<usize> = [
        "payment started",
        "db_query",
        "query sent",
        "retrying the charge",
        "stripe_charge",
        "card declined",
        "payment done",
        "from a span still open",
    ]
    .iter()
    .map(|needle| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {text}"))
    })
    .collect();
    assert!(found.is_sorted(), "{text}");
    assert!(
        text.starts_with("trace 4bf92f3577b34da6a3ce929d0e0e4736  150ms  3 spans  6 log records\n"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn hundreds_of_log_lines_under_one_span() {
    let spans = [
        span(1, 0, "import_batch", 0, 1_000),
        span(2, 1, "commit", 900, 990),
    ];
    let logs: Vec<LogLine> = (0..300)
        .map(|n| {
            let row = n.to_string();
            log(1, n * 3, "INFO", "row imported", &[("row", row.as_str())])
        })
        .collect();
    let text = plain_with(&spans, &logs);
    assert_fits(&text, WIDTH);
    assert_eq!(text.matches("row imported").count(), 300);
    // The child span starts after the last record, written at 897 ms.
    let commit = text.find("commit").unwrap();
    assert!(text[..commit].contains("row = 299"), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("└─ commit"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_log_line_cannot_send_escape_codes_or_break_lines() {
    let spans = [span(1, 0, "handler", 0, 10)];
    let logs = [log(
        1,
        5,
        "WARN",
        "user said \x1b[2J\x1b[31mhello\nsecond line",
        &[("agent", "curl\r\x07")],
    )];
    let text = plain_with(&spans, &logs);
    assert!(
        !text.contains('\x1b') && !text.contains('\r') && !text.contains('\x07'),
        "{text:?}"
    );
    assert_eq!(text.lines().count(), 3, "{text}");
    let coloured = render_trace(
        &spans,
        &logs,
        &Style {
            color: true,
            width: WIDTH,
        },
    );
    // Only our own codes: the recorded one is escaped.
    assert!(coloured.contains("\\u{1b}[2J"), "{coloured:?}");
    assert!(!coloured.contains("\x1b[2J"), "{coloured:?}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_log_record_outside_any_trace_is_a_line_of_its_own() {
    let style = |color| Style {
        color,
        width: WIDTH,
    };
    let line = log(0, 0, "WARN", "disk almost full", &[("free", "2%")]);
    assert_eq!(
        render_log_line(&line, &style(false)),
        "WARN  shop::payment disk almost full: free = 2%"
    );
    let coloured = render_log_line(&line, &style(true));
    assert!(
        coloured.starts_with(&format!("{}WARN  ", YELLOW.render())),
        "{coloured:?}"
    );
    let info = render_log_line(&log(0, 0, "INFO", "ready", &[]), &style(true));
    assert!(info.starts_with("INFO  "), "INFO is not coloured: {info:?}");
}

#[test]
fn wide_characters_take_two_columns_and_the_bars_stay_aligned() {
    let mut order = span(1, 0, "注文を処理する", 0, 100);
    order.attributes = vec![KeyValue::new("note", "🚀 発送済み")];
    let long = span(2, 1, &"検索".repeat(40), 10, 60);
    let text = plain(&[order, long]);
    assert_fits(&text, WIDTH);
    // Every span's line, name cut or not, takes the same columns: its bar
    // and times sit in the same place.
    let span_lines: Vec<usize> = text
        .lines()
        .filter(|line| line.contains(['█', '▐', '▌']))
        .map(|line| line.width())
        .collect();
    assert_eq!(span_lines.len(), 2, "{text}");
    assert_eq!(span_lines[0], span_lines[1], "{text}");
    insta::assert_snapshot!(text);
}
