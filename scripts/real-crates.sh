#!/usr/bin/env bash
# Real-code test for #[traced]: take published crates from crates.io, put
# #[::otel_runtime::traced] (default argument recording) on every non-const
# function with a body, and run each crate's own, unchanged test suite.
#
# Usage: scripts/real-crates.sh [--attr TEXT] [CRATE...]
#   --attr TEXT  attribute to insert instead of #[::otel_runtime::traced];
#                --attr '' inserts nothing (checks the pipeline itself).
#   CRATE...     run only these crates of the list below (by name), or any
#                other published crate given as name=version.
#
# Each crate's cargo test gets $REAL_CRATES_TIMEOUT seconds (default 900),
# so a hang (e.g. a deadlock inside traced code) fails instead of stalling.
#
# Needs only cargo and network access to crates.io. Scratch copies live in
# ${TMPDIR:-/tmp}/otel-real-crates; all builds share <repo>/target/real-crates
# so otel-runtime and its dependencies are compiled once for every crate.
set -euo pipefail

# name=version, pinned. Chosen for variety (see the comments) and because
# each is edition 2018+, ships its tests in the published .crate, links std
# with default features, builds on stable, has few dependencies, and its
# pristine test suite passes in seconds.
# Tried and left out: glob 0.3.4 (a test expects EACCES on /root, which
# fails when run as root, even unannotated); fastrand 2.5.0 (loops of 10^8
# calls: 4 s pristine, ~7 min with a span per call in a debug build);
# bytes 1.12.2 (its traced test allocator scans a 1M-entry ledger calling a
# traced helper per entry on every deallocation: correct since the runtime
# lets re-entrant calls run untraced, but far too slow until a call with no
# provider installed costs next to nothing).
CRATES=(
    semver=1.0.28     # parser: error type, Result, FromStr/Display/Ord, unsafe tagged-pointer repr
    either=1.19.0     # generic enum: Either<L, R> without Debug bounds, dozens of trait impls, iterators
    termcolor=1.4.1   # I/O: io::Result everywhere, generic Write wrappers, trait with provided methods, locks
    tempfile=3.27.0   # filesystem: generic NamedTempFile<F>, error types carrying F, builders, Drop, env
    once_cell=1.21.4  # sync primitives: OnceCell<T>/Lazy<T, F> with FnOnce closures, threads, unsafe
    similar=2.7.0     # diff algorithms: heavy generics (DiffHook, Index<usize> + ?Sized), lifetimes, impl Trait
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="$ROOT/target/real-crates"
SCRATCH="${TMPDIR:-/tmp}/otel-real-crates"
ATTR='#[::otel_runtime::traced]'

only=()
while (($#)); do
    case "$1" in
        --attr)
            (($# >= 2)) || { echo "real-crates: --attr needs a value" >&2; exit 2; }
            ATTR="$2"
            shift 2
            ;;
        -h | --help)
            sed -n '2,17p' "${BASH_SOURCE[0]}"
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

mkdir -p "$SCRATCH" "$TARGET_DIR/logs"
summary=()
failed=()
start_all=$SECONDS

for entry in "${selected[@]}"; do
    name="${entry%%=*}"
    version="${entry#*=}"
    start=$SECONDS
    echo
    echo "==> $name $version"

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

    # Annotate every non-const fn with a body; the tool prints the count.
    out="$("$ANNOTATE" "$work" --attr "$ATTR")" || {
        echo "real-crates: the annotate tool failed on $name $version" >&2
        exit 1
    }
    echo "$out"
    count="$(sed -n 's/.*: \([0-9][0-9]*\) functions annotated.*/\1/p' <<<"$out")"

    # Published manifests are normalized ([dependencies.foo] tables, maybe
    # no [dependencies] at all), so add our dependency as its own dotted
    # table, valid either way; and an empty [workspace] so the copy never
    # joins a workspace above the scratch dir.
    manifest="$work/Cargo.toml"
    {
        echo
        echo "[dependencies.otel-runtime]"
        echo "path = \"$ROOT/otel-runtime\""
        grep -q '^\[workspace\]' "$manifest" || printf '\n[workspace]\n'
    } >>"$manifest"

    log="$TARGET_DIR/logs/$name-$version.log"
    # timeout signals the whole process group, test binaries included.
    limit=()
    if command -v timeout >/dev/null; then
        limit=(timeout "${REAL_CRATES_TIMEOUT:-900}")
    fi
    # Line tables only, as in the workspace: the debug info of six crates'
    # dependency trees would otherwise fill the disk.
    if (cd "$work" && CARGO_TARGET_DIR="$TARGET_DIR" CARGO_PROFILE_DEV_DEBUG=line-tables-only "${limit[@]}" cargo test 2>&1) | tee "$log"; then
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
    summary+=("$(printf '%-12s %-10s %6s fns annotated   %-7s %4ss' \
        "$name" "$version" "${count:-?}" "$result" "$((SECONDS - start))")")
done

echo
echo "==> summary (attribute: ${ATTR:-<none>}, total $((SECONDS - start_all))s)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo >&2
    echo "real-crates: test suites FAILED for:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "real-crates: all ${#selected[@]} crates passed"
