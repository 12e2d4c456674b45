#!/usr/bin/env python3
"""Writes the benchmark tables into BENCHMARKS.md, between its markers, from
criterion's estimates of one run. scripts/bench-report.sh runs the suite and
then this; run alone, it re-renders the last run's results.

Only estimates written since --since count, so that a run that measured a
part of the suite shows the rest as not run instead of mixing in old numbers.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

BEGIN = "<!-- bench-report:begin -->"
END = "<!-- bench-report:end -->"

ROOT_CALLS = 100  # common::CALLS_PER_ROOT

# (group, function, what it measures), in table order. Every case calls
# work(a: u64, s: &str) and records both arguments, except the baseline.
CASES = [
    ("baseline", "sync", "no instrumentation"),
    ("baseline", "async", "no instrumentation, `async fn` polled once"),
    ("floor", "clock_and_ids", "two `SystemTime::now()` and a random trace and span ID (`RandomIdGenerator`)"),
    ("disabled", "traced", "`#[traced]`, no provider installed"),
    ("disabled", "raw_sdk", "by hand: `in_span` + 2 attributes on the global tracer, no provider"),
    ("disabled", "instrument", "`#[instrument]`, no subscriber"),
    ("disabled", "fastrace", "fastrace `#[trace]`, no reporter, no root"),
    ("disabled_async", "traced", "`#[traced] async fn`, no provider"),
    ("disabled_async", "instrument", "`#[instrument] async fn`, no subscriber"),
    ("sampled_out", "traced", "`#[traced]`, `AlwaysOff` sampler"),
    ("sampled_out", "traced_init", "`#[traced]`, `AlwaysOff` sampler, set up by `otel_runtime::init` (spans made directly: a dropped root is only a span context)"),
    ("sampled_out", "raw_sdk", "by hand with the SDK, `AlwaysOff`"),
    ("sampled_out", "tracing_otel", "`#[instrument]` + tracing-opentelemetry, `AlwaysOff`"),
    ("unsampled_parent", "traced", "`#[traced]` under a non-sampled remote parent, `ParentBased(AlwaysOn)`"),
    ("unsampled_parent", "raw_sdk", "by hand with the SDK, same parent and sampler"),
    ("unsampled_parent", "tracing_otel", "`#[instrument]` + tracing-opentelemetry, same"),
    ("unsampled_parent", "traced_init", "`#[traced]` under the same parent, set up by `otel_runtime::init` (its default sampler follows the parent)"),
    ("recording", "traced", "`#[traced]`, set up by `otel_runtime::init` with the discarding exporter (`span_exporter`) behind its batch processor"),
    ("recording", "raw_sdk", "by hand: `tracer.in_span` + 2 attributes, the SDK's batch processor over the same exporter"),
    ("recording", "tracing_otel", "`#[instrument]` + tracing-opentelemetry, same provider"),
    ("recording", "fastrace", f"fastrace `#[trace]`, in a root of {ROOT_CALLS} calls, discarding reporter"),
    ("recording_nested3", "traced", "3 nested `#[traced]` calls (3 spans)"),
    ("recording_nested3", "raw_sdk", "3 nested `in_span` (3 spans)"),
    ("recording_nested3", "tracing_otel", "3 nested `#[instrument]` calls (3 spans)"),
    ("recording_nested3", "fastrace", "3 nested `#[trace]` calls (3 spans)"),
    ("recording_async", "traced", "`#[traced] async fn`, recording"),
    ("recording_async", "tracing_otel", "`#[instrument] async fn` + tracing-opentelemetry"),
]

# The peer of #[traced] in each scenario, per column: (column title, function).
PEERS = [
    ("raw SDK", "raw_sdk"),
    ("tracing", "tracing_otel"),
    ("fastrace", "fastrace"),
]

CRATES = [
    "otel-runtime", "otel-macros", "opentelemetry", "opentelemetry_sdk",
    "tracing", "tracing-attributes", "tracing-core", "tracing-subscriber",
    "tracing-opentelemetry", "fastrace", "fastrace-macro", "criterion",
]


def estimates(target, since):
    """{(group, function): median ns} for the estimates written since `since`."""
    found = {}
    base = os.path.join(target, "criterion")
    for group, function, _ in CASES:
        path = os.path.join(base, group, function, "new", "estimates.json")
        if os.path.exists(path) and os.path.getmtime(path) >= since:
            with open(path) as f:
                found[(group, function)] = json.load(f)["median"]["point_estimate"]
    return found


def ns(value):
    if value is None:
        return "not run"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ratio(a, b):
    if a is None or b is None:
        return "—"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def case_table(found):
    floor = found.get(("floor", "clock_and_ids"))
    lines = [
        "| case | what | ns per call (median) | × baseline | × floor |",
        "|---|---|---:|---:|---:|",
    ]
    for group, function, what in CASES:
        value = found.get((group, function))
        is_async = group.endswith("_async") or (group, function) == ("baseline", "async")
        baseline = found.get(("baseline", "async" if is_async else "sync"))
        show_floor = group not in ("baseline", "floor")
        lines.append(
            f"| `{group}/{function}` | {what} | {ns(value)} | {ratio(value, baseline)} "
            f"| {ratio(value, floor) if show_floor else ''} |"
        )
    return lines


def peer_table(found):
    """#[traced] divided by each peer in the same scenario: above 1 means
    ours is slower."""
    head = "| scenario | `#[traced]` ns |"
    rule = "|---|---:|"
    for title, _ in PEERS:
        head += f" {title} ns | ours ÷ {title} |"
        rule += "---:|---:|"
    lines = [head, rule]
    groups = []
    for group, _, _ in CASES:
        if group not in groups:
            groups.append(group)
    for group in groups:
        if (group, "traced") not in {(g, f) for g, f, _ in CASES}:
            continue
        ours = found.get((group, "traced"))
        row = f"| `{group}` | {ns(ours)} |"
        peers = 0
        for _, function in PEERS:
            # With nothing installed, tracing's peer is #[instrument] alone.
            if group.startswith("disabled") and function == "tracing_otel":
                function = "instrument"
            peer = found.get((group, function))
            if peer is None:
                row += " | |"
            else:
                peers += 1
                row += f" {ns(peer)} | {ratio(ours, peer)} |"
        if peers:
            lines.append(row)
    return lines


def locked_versions(lock_path):
    text = open(lock_path).read()
    versions = {}
    for name, version in re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', text):
        versions.setdefault(name, []).append(version)
    return versions


def command_output(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores (`nproc`: {command_output('nproc')})",
        f"- OS: {platform.system()} {platform.release()}",
        f"- {command_output('rustc', '--version')}",
    ]


def render(args):
    found = estimates(args.target, args.since)
    if not found:
        sys.exit(f"no criterion estimates under {args.target}/criterion since the run started")
    versions = locked_versions(args.lock)
    commit = command_output("git", "rev-parse", "--short", "HEAD")
    dirty = command_output("git", "status", "--porcelain", "--untracked-files=no")
    when = datetime.datetime.fromtimestamp(args.since, datetime.timezone.utc)

    out = [BEGIN, "", "<!-- Written by scripts/bench_table.py; edits here are overwritten. -->", ""]
    out.append(
        f"Run of {when:%Y-%m-%d %H:%M} UTC at commit `{commit}`"
        + (" (with uncommitted changes)" if dirty and dirty != "unknown" else "")
        + (f", criterion arguments `{args.args}`" if args.args else ", criterion's default settings")
        + (f"; `cargo bench` took {args.seconds} s end to end, build included." if args.seconds else ".")
    )
    out += ["", "### Every case", ""]
    out += case_table(found)
    out += ["", "### `#[traced]` against each peer, same scenario", ""]
    out += [
        "A ratio above 1 means `#[traced]` is slower. The tracing column is "
        "`#[instrument]` with tracing-opentelemetry, or with no subscriber in the "
        "`disabled` rows.",
        "",
    ]
    out += peer_table(found)
    if args.log and os.path.exists(args.log):
        with open(args.log) as f:
            probe = [line.strip() for line in f if line.startswith("batch processor:")]
        if probe:
            out += ["", f"Before measuring, the recording binary printed: “{probe[-1]}”."]
    out += ["", "### Machine", ""] + machine()
    if args.load:
        out.append(
            f"- load average (1, 5, 15 min) before the run: {args.load[0]}; after: {args.load[1]} "
            "(the suite itself keeps one to two cores busy; more means other work shared the machine)"
        )
    out += ["", "### Crate versions (Cargo.lock)", "", "| crate | version |", "|---|---|"]
    for name in CRATES:
        out.append(f"| {name} | {', '.join(versions.get(name, ['absent']))} |")
    out += ["", END]

    text = open(args.output).read()
    if BEGIN not in text or END not in text:
        sys.exit(f"{args.output} lacks the markers {BEGIN} and {END}")
    before = text[: text.index(BEGIN)]
    after = text[text.index(END) + len(END):]
    with open(args.output, "w") as f:
        f.write(before + "\n".join(out) + after)
    print(f"wrote {len(found)} of {len(CASES)} cases into {args.output}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", help="the Markdown file to fill, with its markers")
    parser.add_argument("--target", required=True, help="cargo's target directory")
    parser.add_argument("--since", type=float, default=0, help="epoch seconds the run started")
    parser.add_argument("--seconds", type=int, help="how long cargo bench took")
    parser.add_argument("--args", default="", help="the criterion arguments of the run")
    parser.add_argument("--log", help="the run's output, for the batch processor's line")
    parser.add_argument("--load", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="/proc/loadavg's first three fields before and after the run")
    parser.add_argument("--lock", default="Cargo.lock")
    render(parser.parse_args())


if __name__ == "__main__":
    main()
