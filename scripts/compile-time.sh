#!/usr/bin/env bash
# Compile time of 1,000 annotated functions: `#[traced]` against tracing's
# `#[instrument]`, each in a generated crate of its own.
#
#   scripts/compile-time.sh [FUNCTIONS] [RUNS]
#
# Dependencies are built first and not counted; each run then touches the
# crate's source and times `cargo build` of that crate alone (debug, the
# build a developer waits for), and the median of the runs is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
functions=${1:-1000}
runs=${2:-3}
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/compile-time
mkdir -p "$work"

# One crate: `attribute` on every function, `dependency` in its manifest.
generate() {
    local name=$1 dependency=$2 import=$3 attribute=$4
    local dir=$work/$name
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
$dependency

[workspace]
TOML
    {
        echo "#![allow(dead_code)]"
        echo "$import"
        echo "#[derive(Debug)] pub struct Order { pub id: u64, pub items: Vec<String> }"
        echo "#[derive(Debug)] pub struct Failed;"
        for i in $(seq 1 "$functions"); do
            case $((i % 4)) in
            0) echo "$attribute pub fn f$i(a: u64, s: &str) -> u64 { a + s.len() as u64 }" ;;
            1) echo "$attribute pub fn f$i(order: &Order) -> Result<u64, Failed> { if order.items.is_empty() { Err(Failed) } else { Ok(order.id) } }" ;;
            2) echo "$attribute pub async fn f$i(a: u64, name: String) -> String { format!(\"{a}{name}\") }" ;;
            3) echo "#[derive(Debug)] pub struct S$i; impl S$i { $attribute pub fn m(&self, x: i32) -> i32 { x * 2 } }" ;;
            esac
        done
    } >"$dir/src/lib.rs"
    echo "$dir"
}

build() {
    (cd "$1" && CARGO_TARGET_DIR=$work/target cargo build --quiet) >&2 ||
        { echo "compile-time: $1 does not build" >&2; exit 1; }
}

median_build() {
    local dir=$1
    build "$dir"
    local times=()
    for _ in $(seq 1 "$runs"); do
        touch "$dir/src/lib.rs"
        local start end
        start=$(date +%s.%N)
        build "$dir"
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

traced=$(generate ct_traced "otel-runtime = { path = \"$root/otel-runtime\" }" \
    "use otel_runtime::traced;" "#[traced]")
instrument=$(generate ct_instrument 'tracing = "0.1"' \
    "use tracing::instrument;" "#[instrument]")
plain=$(generate ct_plain "" "" "")

# `$(…)` does not stop the script on failure: check each result.
t_traced=$(median_build "$traced") && t_instrument=$(median_build "$instrument") &&
    t_plain=$(median_build "$plain") || exit 1
echo "functions: $functions, median of $runs debug builds of the crate alone (s):"
echo "  plain        $t_plain"
echo "  #[instrument] $t_instrument"
echo "  #[traced]     $t_traced"
echo "  #[traced] / #[instrument]: $(echo "scale=2; $t_traced / $t_instrument" | bc)"
