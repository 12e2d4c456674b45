use otel_runtime::traced;

#[traced]
fn count(items: &[u32]) -> u32 {
    let total = items.len();
    format!("{total}")
}

fn main() {}
