#!/usr/bin/env bash
# otel-runtime built as a library author gets it (no default features) and
# with each feature alone, warning-free; its unit and doc tests without
# default features; and the size of the library author's dependency: at most 40
# crates and no C build.
set -euo pipefail
cd "$(dirname "$0")/.."

for features in "" console otlp-grpc otlp-http otlp-json tls testing tower axum reqwest tonic b3 tracing log; do
    echo "otel-runtime, no default features${features:+, with $features}"
    cargo clippy -p otel-runtime --no-default-features --features "$features" --locked -q -- -D warnings
done
cargo clippy -p otel-runtime --all-targets --no-default-features --locked -q -- -D warnings
cargo test -p otel-runtime --lib --no-default-features --locked -q
# The doc tests put #[traced] on functions: the expansion works against the
# library author's build.
cargo test -p otel-runtime --doc --no-default-features --locked -q

crates=$(cargo tree -p otel-runtime --no-default-features -e normal,build --prefix none --locked |
    sed 's/ (\*)//; s/ (proc-macro)//' | sort -u)
count=$(wc -l <<<"$crates")
echo "otel-runtime without default features: $count crates"
if ((count > 40)); then
    echo "more than 40 crates:" >&2
    echo "$crates" >&2
    exit 1
fi
# A C build needs `cc` (ring, aws-lc-sys and the like build with it).
if grep -qE '^(cc|ring|aws-lc-sys) ' <<<"$crates"; then
    echo "a C build in the library author's dependency:" >&2
    grep -E '^(cc|ring|aws-lc-sys) ' <<<"$crates" >&2
    exit 1
fi
