use otel_runtime::traced;

#[traced]
async fn count(items: Vec<u32>) -> u32 {
    let total = items.len();
    format!("{total}")
}

fn main() {}
