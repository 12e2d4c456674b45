//! The console exporter: each finished trace printed as a waterfall tree,
//! with the log records written in its spans.

mod exporter;
#[cfg(feature = "tracing")]
mod logs;
mod metrics;
pub(crate) mod render;
mod roots;

pub(crate) use exporter::{ConsoleExporter, Screen};
#[cfg(feature = "tracing")]
pub(crate) use logs::ConsoleLogs;
pub(crate) use metrics::ConsoleMetrics;
pub(crate) use roots::{OpenRoots, TrackRoots};
