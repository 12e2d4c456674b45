#!/usr/bin/env bash
# Every test of the project, on a fresh machine with only Rust installed:
# unit, integration, expansion-snapshot, compile-fail and doc tests, then the
# published crates' own test suites with #[traced] on every function.
set -euo pipefail
cd "$(dirname "$0")/.."

# Snapshots are compared, never written, here.
export INSTA_UPDATE=no

cargo test --workspace --locked
scripts/real-crates.sh
