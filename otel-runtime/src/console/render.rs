//! Draws one finished trace as a tree with a time axis, for the terminal.
//!
//! Input: every span of one trace, in any order (they finish out of order,
//! across threads). Output: text such as
//!
//! ```text
//! trace 4bf92f3577b34da6a3ce929d0e0e4736  150ms  3 spans
//! process_payment                       ██████████████████████    +0ms   150ms
//! │  user_id = 42
//! ├─ db_query                           ▐████▌                    +5ms    30ms
//! │     kind = client
//! │     query = SELECT * FROM orders WHERE user_id = $1
//! └─ stripe_charge                           ▐███████████████▌   +40ms   105ms
//!       kind = client
//! ```
//!
//! Log records written in the trace's spans (the `tracing` feature) sit
//! among the children of their span, in time order:
//!
//! ```text
//! db_query                              ▐████▌                    +5ms    30ms
//! ├─ ! INFO connected: pool = main
//! └─ ! WARN slow query: rows = 3
//! ```
//!
//! Pure: no clock reads and no I/O, so the same spans always give the same
//! text.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;

use text::{Line, clean, human, since, value_text};

/// How to draw: with ANSI colors or not, and within how many columns.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    /// Adds ANSI escape codes; without it the text has none.
    pub(crate) color: bool,
    /// The most columns a line takes (never fewer than [`MIN_WIDTH`]).
    pub(crate) width: usize,
}

/// Below this, the name and bar columns would be too narrow to read.
const MIN_WIDTH: usize = 60;
/// The offset and duration after each bar: `" {:>7} {:>7}"`.
const TIME_WIDTH: usize = 16;
/// Indentation stops growing at this depth, or sooner on a narrow line so
/// that a name keeps [`MIN_NAME`] columns; deeper spans show their depth.
const MAX_INDENT: usize = 16;
const MIN_NAME: usize = 20;
/// One level of tree prefix: `├─ `, `└─ `, `│  ` or blanks.
const INDENT: usize = 3;

/// Attributes that say where the code is: noise in a terminal, which shows
/// the span's name already.
const HIDDEN_KEYS: &[&str] = &[
    // What `tracing-opentelemetry` records on every bridged span.
    "code.module.name",
    "thread.id",
    "thread.name",
    "target",
    "code.function.name",
    "code.file.path",
    "code.line.number",
    "code.column.number",
    "code.function",
    "code.namespace",
    "code.filepath",
    "code.lineno",
    "code.column",
];

/// How a piece of text stands out on a terminal (with `Style::color`).
type Paint = anstyle::Style;

const BOLD: Paint = Paint::new().bold();
const DIM: Paint = Paint::new().dimmed();
const RED: Paint = anstyle::AnsiColor::Red.on_default();
const BOLD_RED: Paint = anstyle::AnsiColor::Red.on_default().bold();
const YELLOW: Paint = anstyle::AnsiColor::Yellow.on_default();
const CYAN: Paint = anstyle::AnsiColor::Cyan.on_default();

/// A log record, as the console shows it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LogLine {
    pub(crate) time: SystemTime,
    /// The span it was written in; [`SpanId::INVALID`] outside any.
    pub(crate) span_id: SpanId,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub(crate) level: String,
    pub(crate) target: String,
    pub(crate) message: String,
    /// Its other fields, as text.
    pub(crate) fields: Vec<(String, String)>,
}

/// One log record outside any printed trace, as a line of its own:
/// `INFO  shop::server listening: port = 8080`.
pub(crate) fn render_log_line(log: &LogLine, style: &Style) -> String {
    let mut out = String::new();
    let mut line = Line::new(&mut out, style.color, style.width.max(MIN_WIDTH));
    let color = level_color(&log.level);
    line.push(color, &format!("{:<5} ", clean(&log.level)));
    line.push(Some(DIM), &format!("{} ", clean(&log.target)));
    line.push(color, &message_and_fields(&log.message, &log.fields));
    out
}

/// `message: key = value, …`, without the fields that say where the code
/// is.
fn message_and_fields(message: &str, fields: &[(String, String)]) -> String {
    let mut text = clean(message).into_owned();
    let shown = fields
        .iter()
        .filter(|(key, _)| !HIDDEN_KEYS.contains(&key.as_str()));
    for (n, (key, value)) in shown.enumerate() {
        text.push_str(if n == 0 { ": " } else { ", " });
        text.push_str(&format!("{} = {}", clean(key), clean(value)));
    }
    text
}

/// How a level stands out: errors red, warnings yellow, the chatty levels
/// dim.
fn level_color(level: &str) -> Option<Paint> {
    match level {
        "ERROR" => Some(RED),
        "WARN" => Some(YELLOW),
        "DEBUG" | "TRACE" => Some(DIM),
        _ => None,
    }
}

/// Renders one trace: every span of `spans` (all of one trace ID, in any
/// order) as a tree, children sorted by start time, with the log records
/// of `logs` under their spans. A span whose parent is not in `spans`
/// (remote, or not finished yet) roots a tree of its own; a log record
/// whose span is not there follows the trees.
pub(crate) fn render_trace(spans: &[SpanData], logs: &[LogLine], style: &Style) -> String {
    let Some(trace) = Trace::new(spans, logs) else {
        return String::new();
    };
    let mut painter = Painter {
        out: String::new(),
        color: style.color,
        layout: Layout::new(style.width),
        trace: &trace,
        visited: vec![false; spans.len()],
    };
    painter.header();
    for &root in &trace.roots {
        painter.tree(root);
    }
    // A span whose parent chain loops back on itself reaches no root: still
    // show it, once.
    for &span in &trace.order {
        if !painter.visited[span] {
            painter.tree(span);
        }
    }
    for &log in &trace.loose_logs {
        painter.log_line(&trace.logs[log], "");
    }
    painter.out
}

/// The spans of a trace, indexed: start order, parent → children, roots;
/// and its log records by span.
struct Trace<'a> {
    spans: &'a [SpanData],
    logs: &'a [LogLine],
    /// The log records of each span ID, in time order.
    logs_of: HashMap<SpanId, Vec<usize>>,
    /// Log records whose span is not here, in time order.
    loose_logs: Vec<usize>,
    /// Indices into `spans` by start time, the longest first on a tie.
    order: Vec<usize>,
    /// The span IDs present.
    ids: HashSet<SpanId>,
    /// The children of each parent ID, in start order.
    children: HashMap<SpanId, Vec<usize>>,
    /// Spans whose parent is not here, in start order.
    roots: Vec<usize>,
    start: SystemTime,
    total: Duration,
}

impl<'a> Trace<'a> {
    fn new(spans: &'a [SpanData], logs: &'a [LogLine]) -> Option<Self> {
        let start = spans.iter().map(|span| span.start_time).min()?;
        let end = spans.iter().map(|span| span.end_time).max()?;
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| {
            let span = &spans[i];
            let id = span.span_context.span_id().to_bytes();
            (span.start_time, Reverse(span.end_time), id)
        });
        let ids: HashSet<SpanId> = spans
            .iter()
            .map(|span| span.span_context.span_id())
            .collect();
        let mut children: HashMap<SpanId, Vec<usize>> = HashMap::new();
        let mut roots = Vec::new();
        for &i in &order {
            let parent = spans[i].parent_span_id;
            if ids.contains(&parent) {
                children.entry(parent).or_default().push(i);
            } else {
                roots.push(i);
            }
        }
        let mut log_order: Vec<usize> = (0..logs.len()).collect();
        log_order.sort_by_key(|&i| logs[i].time);
        let mut logs_of: HashMap<SpanId, Vec<usize>> = HashMap::new();
        let mut loose_logs = Vec::new();
        for i in log_order {
            if ids.contains(&logs[i].span_id) {
                logs_of.entry(logs[i].span_id).or_default().push(i);
            } else {
                loose_logs.push(i);
            }
        }
        Some(Trace {
            spans,
            logs,
            logs_of,
            loose_logs,
            order,
            ids,
            children,
            roots,
            start,
            total: since(start, end),
        })
    }
}

/// Column widths for a line width.
#[derive(Clone, Copy, Debug)]
struct Layout {
    width: usize,
    /// Tree prefix and name; one blank follows.
    name: usize,
    bar: usize,
    /// The deepest level that still indents.
    max_indent: usize,
}

impl Layout {
    fn new(width: usize) -> Self {
        let width = width.max(MIN_WIDTH);
        let bar = (width * 3 / 10).clamp(16, 40);
        let name = width - bar - TIME_WIDTH - 1;
        let max_indent = (name.saturating_sub(MIN_NAME) / INDENT).clamp(4, MAX_INDENT);
        Layout {
            width,
            name,
            bar,
            max_indent,
        }
    }
}

/// Where a span sits among its siblings, which picks its connector.
#[derive(Clone, Copy, PartialEq)]
enum Branch {
    Root,
    Middle,
    Last,
}

/// What a tree holds under a span: its child spans and its log records.
#[derive(Clone, Copy)]
enum Entry {
    Span(usize),
    Log(usize),
}

/// An entry waiting to be drawn: `prefix` is what precedes its connector.
struct Frame {
    entry: Entry,
    depth: usize,
    prefix: String,
    branch: Branch,
}

struct Painter<'a> {
    out: String,
    color: bool,
    layout: Layout,
    trace: &'a Trace<'a>,
    /// Spans drawn or queued to be, so each is drawn once.
    visited: Vec<bool>,
}

impl Painter<'_> {
    fn header(&mut self) {
        let count = self.trace.spans.len();
        let plural = if count == 1 { "" } else { "s" };
        let logs = match self.trace.logs.len() {
            0 => String::new(),
            1 => "  1 log record".to_owned(),
            n => format!("  {n} log records"),
        };
        let text = format!(
            "trace {}  {}  {count} span{plural}{logs}",
            self.trace.spans[self.trace.order[0]]
                .span_context
                .trace_id(),
            human(self.trace.total),
        );
        let mut line = self.line(self.layout.width);
        line.push(Some(BOLD), &text);
        self.out.push('\n');
    }

    /// Draws `root` and everything under it, depth first without recursion:
    /// a trace may nest deeper than the stack would like.
    fn tree(&mut self, root: usize) {
        self.visited[root] = true;
        let mut stack = vec![Frame {
            entry: Entry::Span(root),
            depth: 0,
            prefix: String::new(),
            branch: Branch::Root,
        }];
        while let Some(frame) = stack.pop() {
            let connector = match frame.branch {
                Branch::Root => "",
                Branch::Middle => "├─ ",
                Branch::Last => "└─ ",
            };
            let here = format!("{}{connector}", frame.prefix);
            let span = match frame.entry {
                Entry::Span(span) => span,
                Entry::Log(log) => {
                    self.log_line(&self.trace.logs[log], &here);
                    continue;
                }
            };
            let span = &self.trace.spans[span];
            let children = self.entries_under(span);
            let capped = frame.depth >= self.layout.max_indent;
            let child_prefix = if capped {
                frame.prefix.clone()
            } else {
                match frame.branch {
                    Branch::Root => String::new(),
                    Branch::Middle => format!("{}│  ", frame.prefix),
                    Branch::Last => format!("{}   ", frame.prefix),
                }
            };
            self.span_line(span, frame.depth, &here);
            // Details sit three columns right of the name, with a rail on
            // the left where a child or (once capped) a sibling follows.
            let detail_prefix = if capped {
                let rail = !children.is_empty() || frame.branch == Branch::Middle;
                format!("{}{}     ", frame.prefix, if rail { '│' } else { ' ' })
            } else {
                let rail = !children.is_empty();
                format!("{child_prefix}{}  ", if rail { '│' } else { ' ' })
            };
            self.details(span, &detail_prefix);

            for (n, &entry) in children.iter().enumerate().rev() {
                if let Entry::Span(child) = entry {
                    self.visited[child] = true;
                }
                stack.push(Frame {
                    entry,
                    depth: frame.depth + 1,
                    prefix: child_prefix.clone(),
                    branch: if n + 1 == children.len() {
                        Branch::Last
                    } else {
                        Branch::Middle
                    },
                });
            }
        }
    }

    /// The child spans not drawn yet and the log records of `span`, merged
    /// in time order (a log record before a span that starts at its time).
    fn entries_under(&self, span: &SpanData) -> Vec<Entry> {
        let trace = self.trace;
        let id = span.span_context.span_id();
        let mut spans = trace
            .children
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&child| !self.visited[child])
            .peekable();
        let mut logs = trace
            .logs_of
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .peekable();
        let mut entries = Vec::new();
        loop {
            let log_first = match (spans.peek(), logs.peek()) {
                (Some(&child), Some(&log)) => trace.logs[log].time <= trace.spans[child].start_time,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (None, None) => return entries,
            };
            entries.extend(if log_first {
                logs.next().map(Entry::Log)
            } else {
                spans.next().map(Entry::Span)
            });
        }
    }

    /// `prefix ! LEVEL message: key = value, …`, cut at the line width.
    fn log_line(&mut self, log: &LogLine, prefix: &str) {
        let text = format!(
            "! {} {}",
            clean(&log.level),
            message_and_fields(&log.message, &log.fields)
        );
        self.detail(prefix, &[(level_color(&log.level), &text)]);
    }

    /// `prefix name ……… bar offset duration`, the bar and times aligned.
    fn span_line(&mut self, span: &SpanData, depth: usize, prefix: &str) {
        let Layout {
            name,
            bar,
            max_indent,
            ..
        } = self.layout;
        let error = matches!(span.status, Status::Error { .. });
        let name_color = error.then_some(BOLD_RED);
        let mut line = self.line(name);
        line.push(Some(DIM), prefix);
        if depth > max_indent {
            line.push(Some(DIM), &format!("[{depth}] "));
        }
        if error {
            line.push(name_color, "✗ ");
        }
        line.push(name_color, &clean(&span.name));
        let padding = name - line.used() + 1;
        self.out.extend(std::iter::repeat_n(' ', padding));

        let offset = since(self.trace.start, span.start_time);
        let length = since(span.start_time, span.end_time);
        let cells = self.bar(offset, length, bar);
        let times = format!(" {:>7} {:>7}", format!("+{}", human(offset)), human(length));
        let mut line = self.line(bar + TIME_WIDTH);
        line.push(Some(if error { RED } else { CYAN }), &cells);
        line.push(Some(DIM), &times);
        self.out.push('\n');
    }

    /// The span's place on the trace's time axis, in half-cell steps.
    fn bar(&self, offset: Duration, length: Duration, cells: usize) -> String {
        let halves = 2 * cells as u128;
        let total = self.trace.total.as_nanos();
        // A trace that took no time at all: every span fills the axis.
        let (from, to) = match (offset.as_nanos() * halves).checked_div(total) {
            None => (0, halves),
            Some(from) => {
                let from = from.min(halves - 1);
                let to = ((offset + length).as_nanos() * halves).div_ceil(total);
                (from, to.clamp(from + 1, halves))
            }
        };
        (0..halves)
            .step_by(2)
            .map(|left| {
                let covered = |half| from <= half && half < to;
                match (covered(left), covered(left + 1)) {
                    (true, true) => '█',
                    (true, false) => '▌',
                    (false, true) => '▐',
                    (false, false) => ' ',
                }
            })
            .collect()
    }

    /// The lines under a span: its error, kind, missing parent, attributes,
    /// events and links.
    fn details(&mut self, span: &SpanData, prefix: &str) {
        if let Status::Error { description } = &span.status {
            let text = match description.as_ref() {
                "" => "error".to_owned(),
                description => format!("error: {}", clean(description)),
            };
            self.detail(prefix, &[(Some(RED), &text)]);
        }
        let kind = match span.span_kind {
            SpanKind::Client => Some("client"),
            SpanKind::Server => Some("server"),
            SpanKind::Producer => Some("producer"),
            SpanKind::Consumer => Some("consumer"),
            SpanKind::Internal => None,
        };
        if let Some(kind) = kind {
            self.key_value(prefix, "kind", kind);
        }
        let parent = span.parent_span_id;
        if parent != SpanId::INVALID && !self.trace.ids.contains(&parent) {
            let place = if span.parent_span_is_remote {
                "remote"
            } else {
                "not in this trace's spans"
            };
            self.key_value(prefix, "parent", &format!("{parent} ({place})"));
        }
        for KeyValue { key, value, .. } in &span.attributes {
            if !HIDDEN_KEYS.contains(&key.as_str()) {
                self.key_value(prefix, key.as_str(), &value_text(value));
            }
        }
        dropped(self, prefix, span.dropped_attributes_count, "attribute");
        for event in span.events.iter() {
            self.event(prefix, &event.name, &event.attributes);
        }
        dropped(self, prefix, span.events.dropped_count, "event");
        for link in span.links.iter() {
            let context = &link.span_context;
            let target = format!("{}:{}", context.trace_id(), context.span_id());
            self.key_value(prefix, "link", &target);
        }

        fn dropped(painter: &mut Painter<'_>, prefix: &str, count: u32, what: &str) {
            if count > 0 {
                let plural = if count == 1 { "" } else { "s" };
                let text = format!("… {count} more {what}{plural} dropped");
                painter.detail(prefix, &[(Some(DIM), &text)]);
            }
        }
    }

    /// `! exception: message (type)` with its causes and where it was
    /// raised; any other event as `! name: key = value, …`.
    fn event(&mut self, prefix: &str, name: &str, attributes: &[KeyValue]) {
        let find = |key: &str| attributes.iter().find(|kv| kv.key.as_str() == key);
        if name != "exception" {
            // A `tracing` event or `log` record (the bridge's): its level
            // first, and neither its target nor its place in the code.
            let level = find("level").map(|kv| kv.value.as_str());
            let mut text = match &level {
                Some(level) => format!("! {} {}", clean(level), clean(name)),
                None => format!("! {}", clean(name)),
            };
            let shown = attributes.iter().filter(|kv| {
                let key = kv.key.as_str();
                level.is_none()
                    || !(key == "level" || key == "target" || HIDDEN_KEYS.contains(&key))
            });
            for (n, KeyValue { key, value, .. }) in shown.enumerate() {
                text.push_str(if n == 0 { ": " } else { ", " });
                text.push_str(&format!("{} = {}", clean(key.as_str()), value_text(value)));
            }
            let color = level.as_deref().map_or(Some(YELLOW), level_color);
            self.detail(prefix, &[(color, &text)]);
            return;
        }
        let kind = find("exception.type").map(|kv| value_text(&kv.value));
        let message = find("exception.message").map(|kv| value_text(&kv.value));
        let (message, kind) = match (message, kind) {
            (Some(message), kind) => (message, kind.map(|kind| format!(" ({kind})"))),
            (None, kind) => (kind.unwrap_or_default(), None),
        };
        self.detail(
            prefix,
            &[
                (Some(RED), &format!("! exception: {message}")),
                (Some(DIM), kind.as_deref().unwrap_or("")),
            ],
        );
        if let Some(KeyValue {
            value: Value::Array(Array::String(causes)),
            ..
        }) = find("exception.source_chain")
        {
            for cause in causes {
                let text = format!("  caused by: {}", clean(cause.as_str()));
                self.detail(prefix, &[(Some(DIM), &text)]);
            }
        }
        if let Some(trace) = find("exception.stacktrace") {
            let trace = trace.value.as_str();
            if let Some(first) = trace.lines().find(|line| !line.trim().is_empty()) {
                let text = format!("  {}", clean(first.trim()));
                self.detail(prefix, &[(Some(DIM), &text)]);
            }
        }
    }

    fn key_value(&mut self, prefix: &str, key: &str, value: &str) {
        let key = format!("{} = ", clean(key));
        self.detail(prefix, &[(Some(DIM), &key), (None, value)]);
    }

    /// One line under a span, cut at the line width.
    fn detail(&mut self, prefix: &str, parts: &[(Option<Paint>, &str)]) {
        let mut line = self.line(self.layout.width);
        line.push(Some(DIM), prefix.trim_end());
        line.push(None, &prefix[prefix.trim_end().len()..]);
        for (color, text) in parts {
            line.push(*color, text);
        }
        self.out.push('\n');
    }

    fn line(&mut self, budget: usize) -> Line<'_> {
        Line::new(&mut self.out, self.color, budget)
    }
}

pub(crate) mod metrics;
mod text;

#[cfg(test)]
pub(crate) mod tests;
