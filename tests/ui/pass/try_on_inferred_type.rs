//! TODO(macro bug): at a `?`, the expansion probes the operand's error type
//! before type inference knows it, and fails to compile.
#![deny(warnings)]

use otel_runtime::traced;

#[traced]
fn parse_port(text: &str) -> Result<u16, ::std::num::ParseIntError> {
    let port: u16 = text.trim().parse()?;
    Ok(port)
}

fn main() {
    let _ = parse_port("80");
}
