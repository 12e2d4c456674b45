//! Function shapes generated from a small grammar (`grammar.rs`), each
//! compiled twice, plain and under `#[traced]`, and run on the same inputs:
//! both must give the same values and the same panics, and the span must
//! say what happened (`tests/same_behaviour.rs`).
//!
//! `cargo test -p generated-shapes` runs 300 cases of seed 15. For others,
//! or more: `SHAPES_SEED=7 SHAPES_CASES=3000 cargo test -p generated-shapes`.
//! A failure prints the case's source, traced, to paste into a test.
#![forbid(unsafe_code)]
