//! Compile-time behaviour of `#[traced]`: every misuse gives a pinned error
//! that points at the user's tokens (`tests/ui/fail`, with its `.stderr`),
//! and every supported shape of function compiles without a warning
//! (`tests/ui/pass`).
//!
//! After a deliberate change of a message, refresh the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
