//! The console exporter: each finished trace printed as a waterfall tree.

mod exporter;
pub(crate) mod render;

pub(crate) use exporter::ConsoleExporter;
