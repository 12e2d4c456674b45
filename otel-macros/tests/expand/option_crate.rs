#[traced(crate = "my_app::otel")]
fn work(n: u32) -> u32 {
    n + 1
}
