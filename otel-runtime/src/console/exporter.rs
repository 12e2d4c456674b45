//! The console exporter: buffers finished spans by trace, and prints a
//! trace as a waterfall tree once its local root has finished.

use std::collections::HashMap;
use std::fmt;
use std::io::{IsTerminal as _, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::trace::TraceId;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::render::{Style, render_trace};

/// Prints each finished trace as a waterfall tree.
pub(crate) struct ConsoleExporter {
    out: Mutex<Box<dyn Write + Send>>,
    style: Style,
    /// Spans of traces whose local root has not finished yet.
    pending: Mutex<HashMap<TraceId, Vec<SpanData>>>,
}

impl ConsoleExporter {
    /// To standard output, in colour when it is a terminal and `NO_COLOR`
    /// is not set.
    pub(crate) fn stdout() -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|columns| columns.parse().ok())
            .unwrap_or(100);
        Self::new(Box::new(std::io::stdout()), Style { color, width })
    }

    pub(crate) fn new(out: Box<dyn Write + Send>, style: Style) -> Self {
        ConsoleExporter {
            out: Mutex::new(out),
            style,
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn print(&self, spans: &[SpanData]) {
        let text = render_trace(spans, &self.style);
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A closed stdout must not take the application down.
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    /// Takes the traces that are complete: their local root has finished.
    fn take_complete(&self, batch: Vec<SpanData>) -> Vec<Vec<SpanData>> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let mut finished_roots = Vec::new();
        for span in batch {
            let trace_id = span.span_context.trace_id();
            if is_local_root(&span) {
                finished_roots.push(trace_id);
            }
            pending.entry(trace_id).or_default().push(span);
        }
        finished_roots.dedup();
        finished_roots
            .into_iter()
            .filter_map(|trace_id| pending.remove(&trace_id))
            .collect()
    }
}

/// A span that started this process's part of its trace.
fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == opentelemetry::trace::SpanId::INVALID || span.parent_span_is_remote
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleExporter").finish_non_exhaustive()
    }
}

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        for trace in self.take_complete(batch) {
            self.print(&trace);
        }
        Ok(())
    }

    /// Prints what is left: traces whose root never finished, and spans that
    /// finished after their trace was printed.
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        let rest: Vec<_> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.drain().map(|(_, spans)| spans).collect()
        };
        for trace in rest {
            self.print(&trace);
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
        (ConsoleExporter::new(Box::new(out.clone()), style), out)
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
}
