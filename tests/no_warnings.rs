//! Bodies whose expansion once drew warnings. This file denies every
//! warning, so each case fails the build if the expansion regresses.
#![deny(warnings)]
#![deny(clippy::all)]

use otel_runtime::testing::capture;
use otel_runtime::traced;

fn never() -> ! {
    panic!("never returns")
}

/// A tail that never returns: recording after it would be unreachable.
#[traced]
fn tail_never(x: u8) -> u8 {
    if x > 0 {
        return x;
    }
    never()
}

/// Single-expression bodies: a user block nested in generated code would
/// draw `unused_braces`.
#[traced]
fn single_if(x: u8) -> u8 {
    if x > 0 { 1 } else { 2 }
}

#[traced]
fn single_match(x: u8) -> Result<u8, String> {
    match x {
        0 => Ok(1),
        _ => Err("e".into()),
    }
}

#[traced]
fn coerced(v: &Vec<u8>) -> &[u8] {
    v
}

#[traced]
async fn async_single(x: u8) -> u8 {
    x
}

#[traced]
async fn async_never() -> u8 {
    never()
}

#[traced]
fn todo_body() -> Result<u8, String> {
    todo!()
}

#[traced]
fn unit_question(x: Option<u8>) -> Option<()> {
    x?;
    Some(())
}

#[test]
fn these_bodies_behave_as_written() {
    let (values, spans) = capture(|| {
        (
            tail_never(1),
            single_if(0),
            single_match(0),
            coerced(&vec![1]).len(),
            unit_question(None),
        )
    });
    assert_eq!(values, (1, 2, Ok(1), 1, None));
    assert_eq!(spans.len(), 5);
    let _ = (async_single(1), async_never, todo_body);
}
