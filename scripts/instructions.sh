#!/usr/bin/env bash
# Instructions per call of `work` on the calling thread, counted by
# callgrind: the figure that stays put on a noisy machine.
#
#   scripts/instructions.sh [N [MODE...]]
#
# Each setting runs N and 2N calls; the difference over N is one call.
# With MODEs (the names in the table), only those are counted.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-20000}
shift || true
command -v valgrind >/dev/null || { echo "instructions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
binary=$(cargo bench -p otel-bench --bench instructions --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions of the main thread (callgrind's first per-thread file).
count() {
    # A queue that holds every span of the longest run, exported after it
    # (one batch, after 10 minutes or at the end): the batch processor's
    # settings in the `*_batch` and `*_init` recording modes. An export
    # during the measured loop would free spans on the export thread while
    # the calling thread allocates, and how many of its allocations then
    # come from its own cache would depend on when the export ran: counts
    # moved by 100 instructions from run to run.
    OTEL_BSP_MAX_QUEUE_SIZE=65536 OTEL_BSP_MAX_EXPORT_BATCH_SIZE=65536 OTEL_BSP_SCHEDULE_DELAY=600000 valgrind --tool=callgrind --separate-threads=yes --toggle-collect='*instructions::measured*' \
        --callgrind-out-file="$work/cg" \
        "$binary" "$1" "$2" >/dev/null 2>&1
    sed -n 's/^summary: *//p; s/^totals: *//p' "$work"/cg-01 | head -1
    rm -f "$work"/cg*
}

echo "| setting | instructions per call |"
echo "|---|---:|"
modes=("$@")
if [ ${#modes[@]} -eq 0 ]; then
    modes=(plain traced_disabled instrument_disabled traced_sampled_out traced_sampled_out_init traced_metrics_sampled_out_init raw_sdk_sampled_out
        traced_unsampled_parent traced_metrics_unsampled_parent raw_sdk_unsampled_parent
        traced_recording raw_sdk_recording raw_sdk_same_span tracing_otel_recording
        traced_recording_init traced_metrics_init raw_sdk_recording_batch traced_nested3_init raw_sdk_nested3_batch)
fi
for mode in "${modes[@]}"; do
    one=$(count "$mode" "$calls")
    two=$(count "$mode" $((2 * calls)))
    echo "| \`$mode\` | $(((two - one) / calls)) |"
done
