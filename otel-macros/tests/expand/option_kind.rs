#[traced(kind = "client")]
fn call_api(url: &str) -> u16 {
    request(url)
}
