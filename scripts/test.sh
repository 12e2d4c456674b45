#!/usr/bin/env bash
# Every test of the project, on a fresh machine with only Rust installed:
# unit, integration, expansion-snapshot, compile-fail and doc tests, the
# generated function shapes, then the published crates' own test suites with
# #[traced] on every function, and a published crate migrated from
# #[instrument].
set -euo pipefail
cd "$(dirname "$0")/.."

# Snapshots are compared, never written, here.
export INSTA_UPDATE=no

cargo test --workspace --locked
# The runtime alone, without the features that the workspace's tests turn on
# (otlp-json, the HTTP integrations): what a default build of it does.
cargo test -p otel-runtime --lib --locked
# Published crates' own test suites, with #[traced] on every function and a
# recording provider: about 13 minutes from a cold target/real-crates.
scripts/real-crates.sh
# The migration tool on a published crate that uses #[instrument]: it
# rewrites it, and the crate builds and passes its own tests.
scripts/migrate-real-crate.sh
