#[traced(err(off))]
fn lookup(key: &str) -> Result<String, NotFound> {
    let value = cache(key)?;
    Ok(value)
}
