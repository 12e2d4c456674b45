//! A `?` whose operand's type is known only from what follows (`parse()`
//! into a `u16`): the expansion must leave its inference alone.
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
