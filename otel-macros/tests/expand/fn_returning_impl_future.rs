#[traced]
fn delayed(value: u32) -> impl std::future::Future<Output = u32> {
    async move { value * 2 }
}
