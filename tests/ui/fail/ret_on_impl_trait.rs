use otel_runtime::traced;

#[traced(ret)]
fn by_key<T, K: Ord, F: FnMut(&T) -> K>(mut key: F) -> impl FnMut(&T, &T) -> std::cmp::Ordering {
    move |a, b| key(a).cmp(&key(b))
}

fn main() {}
