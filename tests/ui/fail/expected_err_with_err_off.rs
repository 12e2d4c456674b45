use otel_runtime::traced;

#[traced(err(off), expected_err = |e: &String| e.is_empty())]
fn load() -> Result<(), String> {
    Ok(())
}

fn main() {}
