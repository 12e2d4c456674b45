//! Writes the generated cases (`grammar.rs`) to `$OUT_DIR/cases.rs`, which
//! `tests/same_behaviour.rs` includes. `SHAPES_SEED` and `SHAPES_CASES`
//! choose other or more cases.

use std::path::PathBuf;
use std::{env, fs};

#[path = "grammar.rs"]
mod grammar;

const DEFAULT_SEED: u64 = 15;
const DEFAULT_CASES: usize = 300;

fn main() {
    println!("cargo::rerun-if-changed=grammar.rs");
    println!("cargo::rerun-if-env-changed=SHAPES_SEED");
    println!("cargo::rerun-if-env-changed=SHAPES_CASES");
    let seed = number("SHAPES_SEED").unwrap_or(DEFAULT_SEED);
    let count = number("SHAPES_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let cases = grammar::generate(seed, count);
    fs::write(out.join("cases.rs"), cases).expect("OUT_DIR is writable");
}

fn number(name: &str) -> Option<u64> {
    let text = env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(error) => panic!("{name}={text:?} is not a number: {error}"),
    }
}
