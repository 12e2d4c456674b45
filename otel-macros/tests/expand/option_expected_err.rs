#[traced(expected_err = |e: &LookupError| matches!(e, LookupError::NotFound))]
fn find(id: u64) -> Result<Record, LookupError> {
    let record = db_get(id)?;
    Ok(record)
}
