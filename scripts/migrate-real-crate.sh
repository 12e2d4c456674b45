#!/usr/bin/env bash
# The migration tool (tools/migrate) on a published crate that uses
# #[instrument] throughout: mini-redis 0.4.1 (tokio's tutorial server: 11
# #[instrument(skip(…))] on async methods, `instrument` imported in groups
# with tracing's other macros). The tool rewrites a scratch copy, nothing of
# #[instrument] must be left, and the crate, with otel-runtime added as a
# dependency, must build and pass its own test suite.
#
# Needs cargo and crates.io. The crate keeps the Cargo.lock it shipped:
# resolved afresh, a newer tokio fails its `key_value_timeout` test even
# unmigrated.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/migrate"
SCRATCH="${TMPDIR:-/tmp}/otel-migrate"
NAME=mini-redis
VERSION=0.4.1

echo "==> the migration tool's own tests, and its build"
cargo test --quiet --locked --manifest-path "$ROOT/tools/migrate/Cargo.toml" \
    --target-dir "$TARGET_DIR/tool"
cargo build --quiet --release --locked \
    --manifest-path "$ROOT/tools/migrate/Cargo.toml" --target-dir "$TARGET_DIR/tool"
MIGRATE="$TARGET_DIR/tool/release/otel-migrate"

# The published source, fetched by cargo itself (as scripts/real-crates.sh).
fetch="$SCRATCH/fetch"
rm -rf "$SCRATCH"
mkdir -p "$fetch/src"
: >"$fetch/src/lib.rs"
cat >"$fetch/Cargo.toml" <<TOML
[package]
name = "fetch-$NAME"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$NAME = "=$VERSION"

[workspace]
TOML
cargo fetch --quiet --manifest-path "$fetch/Cargo.toml"
src="$(cargo metadata --offline --format-version 1 --manifest-path "$fetch/Cargo.toml" |
    grep -o "\"manifest_path\":\"[^\"]*/$NAME-$VERSION/Cargo.toml\"" | head -n1 |
    sed -e 's/^"manifest_path":"//' -e 's#/Cargo.toml"$##')"
work="$SCRATCH/$NAME-$VERSION"
cp -R "$src" "$work"
chmod -R u+w "$work"

echo "==> migrating $NAME $VERSION"
out="$("$MIGRATE" "$work")"
echo "$out"
grep -q '11 attributes and 5 use lines rewritten' <<<"$out" || {
    echo "migrate-real-crate: expected 11 attributes and 5 use lines" >&2
    exit 1
}
if grep -rnE '#\[(tracing::)?instrument|use tracing::.*\binstrument\b' "$work/src"; then
    echo "migrate-real-crate: #[instrument] is left above" >&2
    exit 1
fi

printf '\n[dependencies.otel-runtime]\npath = "%s"\ndefault-features = false\n\n[workspace]\n' \
    "$ROOT/otel-runtime" >>"$work/Cargo.toml"
echo "==> its own test suite, migrated"
CARGO_TARGET_DIR="$TARGET_DIR/crate" cargo test --quiet --manifest-path "$work/Cargo.toml" 2>&1 |
    tee "$SCRATCH/test.log" | grep -E '^test result|FAILED|panicked' || true
passed=$(grep '^test result' "$SCRATCH/test.log" | awk '{s += $4} END {print s + 0}')
if grep -qE '^test result: FAILED|error(\[|:)' "$SCRATCH/test.log" || ((passed < 20)); then
    echo "migrate-real-crate: $NAME failed after the migration ($passed tests passed)" >&2
    exit 1
fi
echo "migrate-real-crate: $NAME $VERSION migrated, built, $passed tests passed"
