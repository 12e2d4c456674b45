#[traced]
fn by_key<T, K: Ord, F: FnMut(&T) -> K>(mut key: F) -> impl FnMut(&T, &T) -> Ordering {
    move |a, b| key(a).cmp(&key(b))
}
