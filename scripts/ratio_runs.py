#!/usr/bin/env python3
"""The two ratios that this machine's noise moves most, over repeated runs.

    scripts/ratio_runs.py [RUNS]        # 5 by default, about a minute each

Each run measures `recording/traced` against `recording/raw_sdk` (one
bench binary), `sampled_out/traced_init` against `sampled_out/raw_sdk`
(two binaries, one after the other) and `recording/traced` against
`recording/fastrace`, with the criterion arguments of
`scripts/bench-report.sh`'s documented run, and prints every run's medians
and ratios, then the median ratio over the runs: one run's ratio moves by
tens of percent here, the median of several much less.
"""

import json
import statistics
import subprocess
import sys
from pathlib import Path

CRITERION = ["--warm-up-time", "1", "--measurement-time", "2"]

# (label, bench binaries, filter, ours, theirs), as criterion names them.
PAIRS = [
    ("recording", ["recording"], "^recording/(traced|raw_sdk)$",
     "recording/traced", "recording/raw_sdk"),
    ("dropped root", ["sampled_out", "sampled_out_init"], "^sampled_out/(traced_init|raw_sdk)$",
     "sampled_out/traced_init", "sampled_out/raw_sdk"),
    ("recording, fastrace", ["recording"], "^recording/(traced|fastrace)$",
     "recording/traced", "recording/fastrace"),
]


def target_dir():
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"],
        check=True, capture_output=True, text=True).stdout
    return Path(json.loads(metadata)["target_directory"])


def median_ns(target, case):
    estimates = target / "criterion" / case / "new" / "estimates.json"
    return json.loads(estimates.read_text())["median"]["point_estimate"]


def measure(target, binaries, pattern, ours, theirs):
    command = ["cargo", "bench", "--locked", "-p", "otel-bench"]
    for binary in binaries:
        command += ["--bench", binary]
    subprocess.run(command + ["--"] + CRITERION + [pattern], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return median_ns(target, ours), median_ns(target, theirs)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    target = target_dir()
    ratios = {label: [] for label, *_ in PAIRS}
    print("| run | pair | `#[traced]` ns | peer ns | ratio |")
    print("|---:|---|---:|---:|---:|")
    for run in range(1, runs + 1):
        for label, binaries, pattern, ours, theirs in PAIRS:
            traced, raw = measure(target, binaries, pattern, ours, theirs)
            ratios[label].append(traced / raw)
            print(f"| {run} | {label} | {traced:.1f} | {raw:.1f} | {traced / raw:.2f}× |",
                  flush=True)
    print()
    for label, values in ratios.items():
        print(f"{label}: median ratio {statistics.median(values):.2f}× over {runs} runs "
              f"(from {min(values):.2f}× to {max(values):.2f}×)")


if __name__ == "__main__":
    main()
