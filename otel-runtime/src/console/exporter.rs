//! The console exporter: buffers finished spans by trace, and prints a
//! trace as a waterfall tree once its local root has finished; spans that
//! finish later are printed as they come, under the same trace ID. The
//! log records written in a trace's spans wait with them (`Screen::shelve`,
//! fed by `console::logs`) and are printed in its tree.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use opentelemetry::trace::TraceId;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::render::metrics::{MetricRow, render_metrics};
use super::render::{LogLine, Style, render_log_line, render_trace};
use super::roots::OpenRoots;

/// Traces remembered as printed, so that their late spans (a task that
/// outlived the request) are printed as they come, not held until exit.
const PRINTED_REMEMBERED: usize = 4096;

/// Spans held while waiting for their root; past this, the largest waiting
/// trace is printed as it is, so memory stays bounded in a long-running
/// program whose roots never end.
const PENDING_SPANS_MAX: usize = 50_000;

/// Log records held while their trace waits; past this, a record is
/// printed at once as a line of its own.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
const PENDING_LOGS_MAX: usize = 50_000;

/// Where the console writes, and the traces it holds until they print:
/// shared by the exporter of spans and the processor of log records.
pub(crate) struct Screen {
    out: Mutex<Box<dyn Write + Send>>,
    style: Style,
    state: Mutex<State>,
    /// Whether a console exporter prints this screen's traces: without
    /// one, log records are printed at once.
    waterfall: AtomicBool,
}

#[derive(Default)]
struct State {
    /// Spans of traces whose local root has not finished yet.
    pending: HashMap<TraceId, Vec<SpanData>>,
    pending_spans: usize,
    /// Log records of traces not printed yet.
    logs: HashMap<TraceId, Vec<LogLine>>,
    pending_logs: usize,
    /// The traces printed most recently, oldest first, and as a set.
    printed_order: VecDeque<TraceId>,
    printed: HashSet<TraceId>,
}

/// The terminal's width; else `$COLUMNS` (when the output is not a
/// terminal, a shell's own value, if it exports one); else 100.
fn terminal_width() -> usize {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(terminal_size::Width(width), _)| usize::from(width))
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(100)
}

impl Screen {
    /// Standard output, one for the process, shared by spans and log
    /// records: in colour as `anstream` decides for it (a terminal, unless
    /// `NO_COLOR`; `CLICOLOR_FORCE` forces it; Windows consoles too), as
    /// wide as the terminal.
    pub(crate) fn stdout() -> Arc<Self> {
        static STDOUT: OnceLock<Arc<Screen>> = OnceLock::new();
        STDOUT
            .get_or_init(|| {
                let stdout = std::io::stdout();
                let choice = anstream::AutoStream::choice(&stdout);
                let color = choice != anstream::ColorChoice::Never;
                let width = terminal_width();
                let out = anstream::AutoStream::new(stdout, choice);
                Self::new(Box::new(out), Style { color, width })
            })
            .clone()
    }

    pub(crate) fn new(out: Box<dyn Write + Send>, style: Style) -> Arc<Self> {
        Arc::new(Screen {
            out: Mutex::new(out),
            style,
            state: Mutex::new(State::default()),
            waterfall: AtomicBool::new(false),
        })
    }

    fn write(&self, text: &str) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A closed stdout must not take the application down.
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    fn print(&self, spans: &[SpanData], logs: &[LogLine]) {
        self.write(&render_trace(spans, logs, &self.style));
    }

    /// Keeps a log record of `trace` for the trace's tree, unless that tree
    /// was printed already or too many wait: then it is printed at once.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn shelve(&self, trace: TraceId, log: LogLine) {
        if !self.waterfall.load(Ordering::Relaxed) {
            return self.print_line(&log);
        }
        let log = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.printed.contains(&trace) || state.pending_logs >= PENDING_LOGS_MAX {
                log
            } else {
                state.logs.entry(trace).or_default().push(log);
                state.pending_logs += 1;
                return;
            }
        };
        self.print_line(&log);
    }

    /// Prints the metrics' last reading as a table (nothing without rows).
    pub(crate) fn print_metrics(&self, rows: &[MetricRow]) {
        if !rows.is_empty() {
            self.write(&render_metrics(rows, &self.style));
        }
    }

    /// Prints a log record as a line of its own.
    pub(crate) fn print_line(&self, log: &LogLine) {
        self.write(&render_log_line(log, &self.style));
    }
}

/// Prints each finished trace as a waterfall tree.
pub(crate) struct ConsoleExporter {
    screen: Arc<Screen>,
    /// The local roots still open, when a tracker counts them: a trace is
    /// then printed at the last of its local roots, not the first.
    roots: Option<Arc<OpenRoots>>,
}

impl ConsoleExporter {
    pub(crate) fn new(screen: Arc<Screen>) -> Self {
        screen.waterfall.store(true, Ordering::Relaxed);
        ConsoleExporter {
            screen,
            roots: None,
        }
    }

    /// Holds a trace back while `roots` says other local roots of it are
    /// open (see `roots`).
    pub(crate) fn waiting_for(mut self, roots: Arc<OpenRoots>) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Whether `span` ends this process's part of its trace: a local root,
    /// and not one that ended while others were still open.
    fn ends_local_part(&self, span: &SpanData) -> bool {
        is_local_root(span)
            && !self
                .roots
                .as_ref()
                .is_some_and(|roots| roots.take_not_last(span.span_context.span_id()))
    }

    /// Takes what is ready to print: traces whose local root has finished,
    /// spans of traces already printed, and, past the bound, the largest
    /// waiting trace.
    fn take_ready(&self, batch: Vec<SpanData>) -> Vec<(Vec<SpanData>, Vec<LogLine>)> {
        let mut state = self
            .screen
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut ready_traces = Vec::new();
        for span in batch {
            let trace_id = span.span_context.trace_id();
            if self.ends_local_part(&span) || state.printed.contains(&trace_id) {
                ready_traces.push(trace_id);
            }
            state.pending.entry(trace_id).or_default().push(span);
            state.pending_spans += 1;
        }
        ready_traces.dedup();
        let mut ready: Vec<_> = ready_traces
            .into_iter()
            .filter_map(|trace_id| state.take(trace_id))
            .collect();
        while state.pending_spans > PENDING_SPANS_MAX {
            let largest = state
                .pending
                .iter()
                .max_by_key(|(_, spans)| spans.len())
                .map(|(&trace_id, _)| trace_id);
            ready.extend(largest.and_then(|trace_id| state.take(trace_id)));
        }
        ready
    }
}

impl State {
    /// Removes a trace's waiting spans and log records, remembering it as
    /// printed.
    fn take(&mut self, trace_id: TraceId) -> Option<(Vec<SpanData>, Vec<LogLine>)> {
        let spans = self.pending.remove(&trace_id)?;
        self.pending_spans -= spans.len();
        let logs = self.logs.remove(&trace_id).unwrap_or_default();
        self.pending_logs -= logs.len();
        if self.printed.insert(trace_id) {
            self.printed_order.push_back(trace_id);
            if self.printed_order.len() > PRINTED_REMEMBERED {
                if let Some(oldest) = self.printed_order.pop_front() {
                    self.printed.remove(&oldest);
                }
            }
        }
        Some((spans, logs))
    }
}

/// A span that started this process's part of its trace.
pub(super) fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == opentelemetry::trace::SpanId::INVALID || span.parent_span_is_remote
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleExporter").finish_non_exhaustive()
    }
}

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        for (spans, logs) in self.take_ready(batch) {
            self.screen.print(&spans, &logs);
        }
        Ok(())
    }

    /// Prints what is left: traces whose root never finished, and log
    /// records whose trace never printed.
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        let (traces, logs) = {
            let mut state = self
                .screen
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let ids: Vec<TraceId> = state.pending.keys().copied().collect();
            let traces: Vec<_> = ids.into_iter().filter_map(|id| state.take(id)).collect();
            state.pending_logs = 0;
            let mut logs: Vec<LogLine> = state.logs.drain().flat_map(|(_, logs)| logs).collect();
            logs.sort_by_key(|log| log.time);
            (traces, logs)
        };
        for (spans, logs) in traces {
            self.screen.print(&spans, &logs);
        }
        for log in &logs {
            self.screen.print_line(log);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::console::render::tests::span_in;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn span(name: &'static str, trace: u128, id: u64, parent: u64) -> SpanData {
        span_in(trace, id, parent, name, id, id + 10)
    }

    fn exporter() -> (ConsoleExporter, Shared) {
        let out = Shared::default();
        let style = Style {
            color: false,
            width: 100,
        };
        (
            ConsoleExporter::new(Screen::new(Box::new(out.clone()), style)),
            out,
        )
    }

    fn printed(out: &Shared) -> String {
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_trace_is_printed_once_its_root_has_finished() {
        let (exporter, out) = exporter();
        futures::executor::block_on(exporter.export(vec![span("child", 1, 2, 1)])).unwrap();
        assert_eq!(printed(&out), "");
        futures::executor::block_on(exporter.export(vec![span("root", 1, 1, 0)])).unwrap();
        let text = printed(&out);
        assert!(text.contains("root") && text.contains("child"), "{text}");
    }

    #[test]
    fn traces_without_a_finished_root_are_printed_at_shutdown() {
        let (exporter, out) = exporter();
        futures::executor::block_on(exporter.export(vec![span("orphan", 2, 5, 4)])).unwrap();
        assert_eq!(printed(&out), "");
        exporter
            .shutdown_with_timeout(Duration::from_secs(1))
            .unwrap();
        assert!(printed(&out).contains("orphan"));
    }

    #[test]
    fn spans_that_end_after_their_root_are_printed_as_they_come() {
        let (exporter, out) = exporter();
        futures::executor::block_on(exporter.export(vec![span("root", 1, 1, 0)])).unwrap();
        assert_eq!(printed(&out).matches("1 span").count(), 1);
        // A task spawned by the request, ending later, in another batch.
        futures::executor::block_on(exporter.export(vec![span("late", 1, 2, 1)])).unwrap();
        let text = printed(&out);
        assert_eq!(
            text.matches("trace 00000000000000000000000000000001")
                .count(),
            2,
            "{text}"
        );
        assert!(text.contains("late"), "{text}");
    }

    /// The distributed example in one process: a client root calls a server
    /// of the same process (a second local root, with a remote parent),
    /// which ends first.
    #[test]
    fn a_trace_that_comes_back_through_a_server_here_is_printed_once_whole() {
        use opentelemetry::Context;
        use opentelemetry::trace::{
            Span as _, TraceContextExt as _, Tracer as _, TracerProvider as _,
        };

        let roots = Arc::new(OpenRoots::default());
        let out = Shared::default();
        let style = Style {
            color: false,
            width: 100,
        };
        let exporter = ConsoleExporter::new(Screen::new(Box::new(out.clone()), style))
            .waiting_for(roots.clone());
        /// Exports each span as it ends.
        #[derive(Debug)]
        struct AtOnce(ConsoleExporter);

        impl crate::engine::Processor for AtOnce {
            fn on_end(&self, span: crate::engine::Ended<'_>) {
                if let Some(span) = span.take_data() {
                    let _ = futures_executor::block_on(self.0.export(vec![span]));
                }
            }
        }

        let tracked = super::super::roots::TrackRoots::new(roots, AtOnce(exporter));
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_span_processor(crate::engine::ForSdk(Arc::new(tracked)))
            .build();
        let tracer = provider.tracer("test");
        let root =
            Context::new().with_span(tracer.start_with_context("place_order", &Context::new()));
        let client = root.with_span(tracer.start_with_context("POST", &root));
        let remote = Context::new().with_remote_span_context(client.span().span_context().clone());
        let server = remote.with_span(tracer.start_with_context("POST /order", &remote));
        tracer.start_with_context("validate_order", &server).end();
        server.span().end();
        assert_eq!(printed(&out), "", "printed at the server's end");
        client.span().end();
        root.span().end();
        let text = printed(&out);
        assert_eq!(text.matches("trace ").count(), 1, "{text}");
        assert!(text.contains("4 spans"), "{text}");
        assert!(
            text.contains("└─ validate_order") || text.contains("├─ validate_order"),
            "{text}"
        );
    }

    #[test]
    fn waiting_spans_are_bounded() {
        let (exporter, out) = exporter();
        // A root that never ends, and more children than the bound.
        let children: Vec<_> = (0..PENDING_SPANS_MAX as u64 + 1)
            .map(|id| span("child", 7, id + 2, 1))
            .collect();
        futures::executor::block_on(exporter.export(children)).unwrap();
        assert!(printed(&out).contains("child"));
        let state = exporter.screen.state.lock().unwrap();
        assert_eq!((state.pending.len(), state.pending_spans), (0, 0));
    }

    fn log(span: u64, message: &str) -> LogLine {
        LogLine {
            time: std::time::SystemTime::UNIX_EPOCH,
            span_id: opentelemetry::trace::SpanId::from(span),
            level: "INFO".to_owned(),
            target: "shop".to_owned(),
            message: message.to_owned(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn log_records_wait_for_their_trace_and_print_in_its_tree() {
        let (exporter, out) = exporter();
        exporter
            .screen
            .shelve(TraceId::from(1), log(2, "in the child"));
        assert_eq!(printed(&out), "");
        futures::executor::block_on(exporter.export(vec![span("child", 1, 2, 1)])).unwrap();
        futures::executor::block_on(exporter.export(vec![span("root", 1, 1, 0)])).unwrap();
        let text = printed(&out);
        assert!(text.contains("1 log record"), "{text}");
        assert!(text.contains("└─ ! INFO in the child"), "{text}");
        let state = exporter.screen.state.lock().unwrap();
        assert_eq!((state.logs.len(), state.pending_logs), (0, 0));
    }

    #[test]
    fn a_log_record_of_a_printed_trace_prints_at_once() {
        let (exporter, out) = exporter();
        futures::executor::block_on(exporter.export(vec![span("root", 1, 1, 0)])).unwrap();
        exporter.screen.shelve(TraceId::from(1), log(1, "late"));
        assert!(
            printed(&out).ends_with("INFO  shop late\n"),
            "{}",
            printed(&out)
        );
    }

    #[test]
    fn without_trees_log_records_print_at_once() {
        let out = Shared::default();
        let style = Style {
            color: false,
            width: 100,
        };
        let screen = Screen::new(Box::new(out.clone()), style);
        screen.shelve(TraceId::from(1), log(1, "no tree here"));
        assert_eq!(printed(&out), "INFO  shop no tree here\n");
    }

    #[test]
    fn log_records_whose_trace_never_prints_are_printed_at_shutdown() {
        let (exporter, out) = exporter();
        exporter
            .screen
            .shelve(TraceId::from(3), log(5, "orphan record"));
        exporter
            .shutdown_with_timeout(Duration::from_secs(1))
            .unwrap();
        assert!(printed(&out).contains("orphan record"), "{}", printed(&out));
    }

    #[test]
    fn waiting_log_records_are_bounded() {
        let (exporter, out) = exporter();
        for _ in 0..PENDING_LOGS_MAX {
            exporter.screen.shelve(TraceId::from(4), log(1, "held"));
        }
        assert_eq!(printed(&out), "");
        exporter
            .screen
            .shelve(TraceId::from(4), log(1, "one too many"));
        assert_eq!(printed(&out), "INFO  shop one too many\n");
    }
}
