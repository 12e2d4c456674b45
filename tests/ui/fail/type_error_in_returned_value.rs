use otel_runtime::traced;

#[traced]
fn parse(text: &str) -> Result<u32, String> {
    if text.is_empty() {
        return Err(0);
    }
    Ok(1)
}

fn main() {}
