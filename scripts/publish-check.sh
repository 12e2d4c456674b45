#!/usr/bin/env bash
# Both crates as crates.io would take them: the documentation builds with no
# warning (no broken intra-doc link), and `cargo publish --dry-run` packages
# and builds them (the runtime against the packaged macro crate) with no
# warning either. Needs crates.io's index.
set -euo pipefail
cd "$(dirname "$0")/.."

RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --locked -q \
    -p otel-runtime -p otel-macros

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo publish --dry-run --locked -p otel-macros -p otel-runtime 2>&1 | tee "$log"
# Every warning but the dry run's own "aborting upload".
if grep '^warning' "$log" | grep -v 'aborting upload due to dry run'; then
    echo "cargo publish --dry-run warned" >&2
    exit 1
fi
