#[traced]
fn parse(text: &str) -> Result<u8, ParseIntError> {
    let trimmed = text.trim();
    #[cfg(feature = "strict")]
    {
        trimmed.parse()
    }
    #[cfg(not(feature = "strict"))]
    {
        Ok(trimmed.parse().unwrap_or(0))
    }
}
