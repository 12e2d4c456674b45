#!/usr/bin/env bash
# Instructions per exported span, off the calling thread: from a span's end
# to its bytes on a loopback socket (the export thread and the exporter's
# runtime), for `init`'s pipeline and for the raw SDK's, over OTLP/gRPC and
# OTLP/HTTP-protobuf. Counted by callgrind, which stays put on a noisy
# machine; the receiver runs natively in a process of its own.
#
#   scripts/export-instructions.sh [N [SENDER...]]
#
# Each sender runs N and 2N spans; the difference over N is one span. The
# receiver must get every span (the queue holds them all), or this fails.
set -euo pipefail
cd "$(dirname "$0")/.."
spans=${1:-10000}
shift || true
command -v valgrind >/dev/null || { echo "export-instructions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
binary=$(cargo bench -p otel-bench --bench export_cost --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "export_cost" and m.get("executable"):
        print(m["executable"])')
work=$(mktemp -d)
mkfifo "$work/hold"
"$binary" --receiver <"$work/hold" >"$work/port" &
receiver=$!
exec 3>"$work/hold"
trap 'exec 3>&-; wait $receiver 2>/dev/null; rm -rf "$work"' EXIT
until [ -s "$work/port" ]; do sleep 0.1; done
port=$(cat "$work/port")
received() { python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$port/count').read().decode())"; }

# The instructions of the main thread and of all the others, in $work/result.
count() {
    local sender=$1 n=$2 protocol=grpc before after
    [[ $sender == *http ]] && protocol=http/protobuf
    before=$(received)
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_EXPORTER_OTLP_PROTOCOL=$protocol \
        OTEL_BSP_MAX_QUEUE_SIZE=$((4 * spans)) OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
        valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/cg" \
        "$binary" "$sender" "$n" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
    after=$(received)
    if [ $((after - before)) -ne "$n" ]; then
        echo "export-instructions: $sender: the receiver got $((after - before)) of $n spans" >&2
        cat "$work/out" >&2
        exit 1
    fi
    local main=0 others=0 file total
    for file in "$work"/cg-*; do
        total=$(sed -n 's/^totals: *//p; s/^summary: *//p' "$file" | head -1)
        if [[ $file == *-01 ]]; then main=$total; else others=$((others + total)); fi
    done
    rm -f "$work"/cg*
    echo "$main $others" >"$work/result"
}

echo "| sender | exporting, per span | calling thread, per span |"
echo "|---|---:|---:|"
senders=("$@")
[ ${#senders[@]} -eq 0 ] && senders=(traced-grpc sdk-grpc traced-http sdk-http)
for sender in "${senders[@]}"; do
    count "$sender" "$spans"
    read -r main1 others1 <"$work/result"
    count "$sender" $((2 * spans))
    read -r main2 others2 <"$work/result"
    echo "| \`$sender\` | $(((others2 - others1) / spans)) | $(((main2 - main1) / spans)) |"
done
