//! `impl Trait` inside the return type: the returned value is typed as
//! `Result<_, E>`, so that `Ok(v)` still knows its error type.
#![deny(warnings)]

use otel_runtime::traced;

#[traced]
fn numbers(n: u32) -> Result<impl Iterator<Item = u32>, ::std::num::ParseIntError> {
    let limit: u32 = "10".parse::<u32>()?;
    Ok(0..n.min(limit))
}

fn main() {
    let _ = numbers(3);
}
