//! A body written on one line, `{ x }`: the expansion must not leave the
//! user's braces where `unused_braces` would warn about them.
#![deny(warnings)]

use otel_runtime::traced;

#[traced]
fn identity(x: u8) -> u8 { x }

#[traced]
async fn async_identity(x: u8) -> u8 { x }

fn main() {
    let _ = identity(1);
    let _ = futures::executor::block_on(async_identity(1));
}
