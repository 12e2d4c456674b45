#[traced]
fn largest<T, I>(items: I) -> Option<T>
where
    T: Ord + std::fmt::Debug,
    I: IntoIterator<Item = T>,
{
    items.into_iter().max()
}
