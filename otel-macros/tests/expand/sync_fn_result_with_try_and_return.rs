#[traced]
fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(80);
    }
    let port: u16 = text.trim().parse()?;
    Ok(port)
}
