#!/usr/bin/env bash
# Real-code test for #[traced]: take published crates from crates.io, put
# #[::otel_runtime::traced] (default argument recording) on every non-const
# function with a body, and run each crate's own, unchanged test suite with
# a recording tracer provider installed (tools/real-crates-support: every
# span sampled, batched, made into SpanData and counted by an exporter).
#
# Usage: scripts/real-crates.sh [--attr TEXT] [--no-provider] [CRATE...]
#   --attr TEXT    attribute to insert instead of #[::otel_runtime::traced];
#                  --attr '' inserts nothing (checks the pipeline itself).
#   --no-provider  install no tracer provider: traced calls take the cheap
#                  path that records nothing.
#   CRATE...       run only these crates of the list below (by name), or any
#                  other published crate given as name=version[:FEATURES].
#
# Each crate's cargo test gets $REAL_CRATES_TIMEOUT seconds (default 900),
# so a hang (e.g. a deadlock inside traced code) fails instead of stalling.
# The provider is installed by a statement that tools/annotate puts at the
# start of every #[test] function, so doc tests run without one.
#
# The table at the end gives, per crate: the functions annotated; the tests
# passed (the sum of every "test result:" line); the spans that ended,
# counted over every test process, and how many of them a full export
# queue dropped; the result; the seconds taken. Logs: target/real-crates/logs/.
#
# Needs only cargo and network access to crates.io. Scratch copies live in
# ${TMPDIR:-/tmp}/otel-real-crates; all builds share <repo>/target/real-crates
# so otel-runtime and its dependencies are compiled once for every crate
# (again where a crate's features, or its dev-dependencies', change one of
# them). On 2 cores the whole list takes about 13 minutes from a cold
# target dir, and 10 warm.
set -euo pipefail

# name=version[:FEATURES], pinned. Chosen for variety (see the comments)
# and because each is edition 2018+, ships its tests in the published
# .crate, links std, builds on stable, has few or light dev-dependencies
# (no criterion or long property runs unless noted), and its pristine test
# suite passes in seconds. FEATURES (comma-separated) are enabled on top of
# the defaults, to reach the code behind them.
CRATES=(
    semver=1.0.28     # parser: error type, Result, FromStr/Display/Ord, unsafe tagged-pointer repr
    either=1.19.0     # generic enum: Either<L, R> without Debug bounds, dozens of trait impls, iterators
    termcolor=1.4.1   # I/O: io::Result everywhere, generic Write wrappers, trait with provided methods, locks
    tempfile=3.27.0   # filesystem: generic NamedTempFile<F>, error types carrying F, builders, Drop, env
    once_cell=1.21.4  # sync primitives: OnceCell<T>/Lazy<T, F> with FnOnce closures, threads, unsafe
    similar=2.7.0     # diff algorithms: heavy generics (DiffHook, Index<usize> + ?Sized), lifetimes, impl Trait
    # types: tails gated by #[cfg(debug_assertions)] {…} #[cfg(not(…))] unsafe {…}
    # (StatusCode::as_str), an unsafe header map, a quickcheck fuzz (26M spans)
    http=1.5.0
    arrayvec=0.7.8    # unsafe raw pointers, const generics, errors carrying the element: CapacityError<T>, <&str>
    httparse=1.10.1   # parser: build.rs, no_std paths, SIMD #[target_feature] unsafe fns chosen at run time
    # unsafe union/raw-pointer repr, generics over the Array trait, code behind features
    smallvec=1.16.6:union,const_generics,const_new,write,drain_filter,drain_keep_rest,serde
    # Pin/poll: hand-written Future/Stream/AsyncRead combinators, pin-project-lite, wakers
    # (its tests are all doc tests, so they run without the provider)
    futures-lite=2.6.1
    tokio-stream=0.1.19:full # async on Tokio: Stream adaptors, StreamMap, wrappers behind features, #[tokio::test]
    tokio-util=0.7.20:full   # Pin/poll on Tokio: codecs, Framed, PollSender, ReusableBoxFuture (unsafe), CancellationToken
    itertools=0.15.0  # iterator adaptors, closures returned by value (impl FnMut(&T, &T)), 960 fns, quickcheck
    fallible-iterator=0.3.0 # adaptors returning Result<Option<T>, Self::Error>: generic errors, closures
    serde_urlencoded=0.7.1  # serde: Serializer/Deserializer impls, trait-heavy generics, an error type
    serde_json=1.0.154 # serde, big (1,275 fns): #[cfg] match + #[cfg] expr tails (Number), recursion, Value
    anyhow=1.0.104    # trait objects: hand-made vtables over raw pointers, context on Result/Option, build.rs cfgs
    log=0.4.35:std,kv_std,kv_serde,kv_sval # heavy #[cfg] and features (kv, std, max levels), a global logger
)

# Tests left out (passed to every test binary of the crate as --skip):
# each runs fine unannotated but takes too long once every call makes a
# span in a debug build.
declare -A SKIP=(
    # parses 2 million requests: 20 s pristine, over 10 minutes annotated
    [httparse]="test_all_utf8_char_in_paths"
)

# Tried and left out: glob 0.3.4 (a test expects EACCES on /root, which
# fails when run as root, even unannotated); fastrand 2.5.0 (loops of 10^8
# calls: 4 s pristine, ~7 min with a span per call in a debug build);
# bytes 1.12.2 (its traced test allocator scans a 1M-entry ledger calling a
# traced helper per entry on every deallocation: correct since the runtime
# lets re-entrant calls run untraced, but far too slow until a call with no
# provider installed costs next to nothing); memchr 2.8.3 (its
# [profile.test] opt-level = 3 rebuilds the whole dependency tree,
# otel-runtime's included, optimized: 2.5 min before a test runs); anyhow
# 1.0.105 (its dev-dependency trybuild ^1.0.125 is not on the registry this
# project's machines reach; 1.0.104 is the newest that resolves).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="$ROOT/target/real-crates"
SCRATCH="${TMPDIR:-/tmp}/otel-real-crates"
ATTR='#[::otel_runtime::traced]'
SUPPORT="$ROOT/tools/real-crates-support"
INSTALL='::real_crates_support::install();'
provider=recording

only=()
while (($#)); do
    case "$1" in
        --attr)
            (($# >= 2)) || { echo "real-crates: --attr needs a value" >&2; exit 2; }
            ATTR="$2"
            shift 2
            ;;
        --no-provider)
            provider=
            shift
            ;;
        -h | --help)
            sed -n '2,31p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            only+=("$1")
            shift
            ;;
    esac
done

# Keep only the crates asked for, failing on a name that is not in the list.
selected=()
for want in "${only[@]}"; do
    if [[ "$want" == *=* ]]; then
        selected+=("$want")
        continue
    fi
    found=
    for entry in "${CRATES[@]}"; do
        if [[ "${entry%%=*}" == "$want" ]]; then
            selected+=("$entry")
            found=1
        fi
    done
    if [[ -z "$found" ]]; then
        echo "real-crates: '$want' is not in the crate list" >&2
        exit 2
    fi
done
((${#selected[@]})) || selected=("${CRATES[@]}")

echo "==> building the annotate tool"
cargo build --quiet --release \
    --manifest-path "$ROOT/tools/annotate/Cargo.toml" \
    --target-dir "$TARGET_DIR/annotate"
ANNOTATE="$TARGET_DIR/annotate/release/annotate"
install_args=()
[[ -z "$provider" ]] || install_args=(--install "$INSTALL")

mkdir -p "$SCRATCH" "$TARGET_DIR/logs"
# The summary table's row.
row='%-18s %-8s %5s %6s %10s %9s  %-6s %7s'
rows=()
failed=()
start_all=$SECONDS

for entry in "${selected[@]}"; do
    name="${entry%%=*}"
    version="${entry#*=}"
    features=
    if [[ "$version" == *:* ]]; then
        features="${version#*:}"
        version="${version%%:*}"
    fi
    start=$SECONDS
    echo
    echo "==> $name $version${features:+ (features: $features)}"

    # Fetch the exact published source with cargo itself: a throwaway
    # project that depends on name = "=version", then ask cargo where it
    # unpacked it (works whatever CARGO_HOME is).
    fetch="$SCRATCH/fetch-$name"
    rm -rf "$fetch"
    mkdir -p "$fetch/src"
    : >"$fetch/src/lib.rs"
    cat >"$fetch/Cargo.toml" <<EOF
[package]
name = "fetch-$name"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$name = "=$version"

[workspace]
EOF
    cargo fetch --quiet --manifest-path "$fetch/Cargo.toml" || {
        echo "real-crates: cannot fetch $name $version from crates.io" >&2
        exit 1
    }
    src="$(cargo metadata --offline --format-version 1 --manifest-path "$fetch/Cargo.toml" |
        grep -o "\"manifest_path\":\"[^\"]*/$name-$version/Cargo.toml\"" | head -n1 |
        sed -e 's/^"manifest_path":"//' -e 's#/Cargo.toml"$##' || true)"
    [[ -n "$src" && -f "$src/Cargo.toml" ]] || {
        echo "real-crates: could not find the source of $name $version" >&2
        exit 1
    }

    work="$SCRATCH/$name-$version"
    rm -rf "$work"
    cp -R "$src" "$work"
    chmod -R u+w "$work"
    # Resolve afresh instead of with the lock file the crate shipped: each
    # crate's own lock pins libc, syn, serde… at other versions, which made
    # cargo rebuild otel-runtime's whole tree (tokio, hyper, rustls, tonic)
    # for almost every crate; resolved to the newest versions, most crates
    # share one build of it (a crate's features still make others).
    rm -f "$work/Cargo.lock"

    # Annotate every non-const fn with a body, and start every test with
    # the provider's installation; the tool prints the counts.
    out="$("$ANNOTATE" "$work" --attr "$ATTR" "${install_args[@]}")" || {
        echo "real-crates: the annotate tool failed on $name $version" >&2
        exit 1
    }
    echo "$out"
    count="$(sed -n 's/.*: \([0-9][0-9]*\) functions annotated.*/\1/p' <<<"$out")"

    # Published manifests are normalized ([dependencies.foo] tables, maybe
    # no [dependencies] at all), so add our dependencies as their own
    # dotted tables, valid either way; and an empty [workspace] so the copy
    # never joins a workspace above the scratch dir.
    manifest="$work/Cargo.toml"
    {
        echo
        echo "[dependencies.otel-runtime]"
        echo "path = \"$ROOT/otel-runtime\""
        if [[ -n "$provider" ]]; then
            echo
            echo "[dev-dependencies.real-crates-support]"
            echo "path = \"$SUPPORT\""
        fi
        grep -q '^\[workspace\]' "$manifest" || printf '\n[workspace]\n'
    } >>"$manifest"

    log="$TARGET_DIR/logs/$name-$version.log"
    # Each test process writes how many spans it exported so far in here
    # (see tools/real-crates-support).
    spans_dir="$TARGET_DIR/spans/$name-$version"
    rm -rf "$spans_dir"
    mkdir -p "$spans_dir"
    # timeout signals the whole process group, test binaries included.
    limit=()
    if command -v timeout >/dev/null; then
        limit=(timeout "${REAL_CRATES_TIMEOUT:-900}")
    fi
    feature_args=()
    [[ -z "$features" ]] || feature_args=(--features "$features")
    skip_args=()
    for test in ${SKIP[$name]:-}; do
        skip_args+=(--skip "$test")
    done
    if ((${#skip_args[@]})); then
        skip_args=(-- "${skip_args[@]}")
    fi
    # Line tables only, as in the workspace: the debug info of many crates'
    # dependency trees would otherwise fill the disk. No incremental
    # compilation: every copy is built once. RUST_LIB_BACKTRACE=0: no
    # backtrace in errors (anyhow's tests expect none), whatever
    # RUST_BACKTRACE says for panics.
    if (cd "$work" && CARGO_TARGET_DIR="$TARGET_DIR" CARGO_PROFILE_DEV_DEBUG=line-tables-only \
        CARGO_INCREMENTAL=0 RUST_LIB_BACKTRACE=0 REAL_CRATES_SPANS="$spans_dir" \
        "${limit[@]}" cargo test "${feature_args[@]}" "${skip_args[@]}" 2>&1) | tee "$log"; then
        result=passed
    else
        status=("${PIPESTATUS[@]}")
        result=FAILED
        # The first compiler error or test panic, as a pointer into the log.
        first="$(grep -m1 -E '^error(\[E[0-9]+\])?:|panicked at' "$log" || true)"
        if ((status[0] == 124)); then
            first="timed out after ${REAL_CRATES_TIMEOUT:-900}s"
        fi
        failed+=("$name $version: ${first:-see log} (log: $log)")
    fi

    # This crate's own binaries (one test binary per test file, each linking
    # the runtime) are not reused by the next crate; removing them keeps the
    # shared target dir to the dependencies, so a run fits a small disk.
    (cd "$work" && CARGO_TARGET_DIR="$TARGET_DIR" cargo clean --quiet -p "$name" 2>/dev/null) || true

    # Tests passed: the sum of the "N passed" of every "test result:" line
    # (unit tests, each integration test, doc tests).
    tests=0
    while read -r n; do
        tests=$((tests + n))
    done < <(sed -n 's/^test result: .* \([0-9][0-9]*\) passed;.*/\1/p' "$log")
    # Spans that ended, and that a full queue dropped, over every test
    # process: each wrote "ENDED EXPORTED DROPPED" in a file of its own.
    spans=0
    dropped=0
    for file in "$spans_dir"/*; do
        [[ -f "$file" ]] || continue
        ended= exported= lost=
        read -r ended exported lost <"$file" || true
        if [[ "$ended" =~ ^[0-9]+$ && "$lost" =~ ^[0-9]+$ ]]; then
            spans=$((spans + ended))
            dropped=$((dropped + lost))
        fi
    done
    rows+=("$(printf "$row" "$name" "$version" "${count:-?}" "$tests" "$spans" "$dropped" \
        "$result" "$((SECONDS - start))")")
done

echo
echo "==> summary (attribute: ${ATTR:-<none>}; provider: ${provider:-none}; total $((SECONDS - start_all))s)"
# fns: functions annotated; tests: tests passed; spans: spans that ended
# (recorded), dropped: of those, dropped from a full export queue.
printf "$row\n" crate version fns tests spans dropped result seconds
printf '%s\n' "${rows[@]}"
if ((${#failed[@]})); then
    echo >&2
    echo "real-crates: test suites FAILED for:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "real-crates: all ${#selected[@]} crates passed"
