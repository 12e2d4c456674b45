#[traced(err(Debug))]
fn open(path: &str) -> Result<File, std::io::Error> {
    let file = File::open(path)?;
    Ok(file)
}
