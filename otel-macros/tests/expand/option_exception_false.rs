#[traced(exception = false)]
fn validate(input: &str) -> Result<(), ValidationError> {
    check(input)?;
    Ok(())
}
