#!/usr/bin/env bash
# Runs the benchmark suite (`cargo bench`) and writes its tables into
# BENCHMARKS.md. Arguments go to criterion:
#
#   scripts/bench-report.sh                                        # criterion's defaults
#   scripts/bench-report.sh --warm-up-time 1 --measurement-time 2  # about 2 minutes
#
# Honours CARGO_TARGET_DIR (the target directory comes from cargo metadata).
set -euo pipefail
cd "$(dirname "$0")/.."

target=$(cargo metadata --format-version 1 --no-deps --locked |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p "$target"
log="$target/bench-report.log"

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
start=$(date +%s)
cargo bench --locked -- "$@" 2>&1 | tee "$log"
end=$(date +%s)
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

python3 scripts/bench_table.py BENCHMARKS.md --target "$target" --since "$start" \
    --seconds $((end - start)) --args "$*" --log "$log" \
    --load "$load_before" "$load_after"
