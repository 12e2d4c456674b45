use otel_runtime::traced;

#[traced(err(Wrong))]
fn load() -> Result<(), String> {
    Ok(())
}

fn main() {}
