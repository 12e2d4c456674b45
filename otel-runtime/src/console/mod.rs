//! The console exporter: each finished trace printed as a waterfall tree.

mod exporter;
pub(crate) mod render;
mod roots;

pub(crate) use exporter::ConsoleExporter;
pub(crate) use roots::{OpenRoots, TrackRoots};
