use otel_runtime::traced;

fn is_miss(_: &()) -> bool {
    true
}

#[traced(expected_err = is_miss)]
fn lookup(key: u32) -> Option<u32> {
    (key > 3).then_some(key)
}

fn main() {}
