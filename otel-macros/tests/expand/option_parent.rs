#[traced(kind = "server", parent = propagation::extract(headers))]
fn handle(headers: &HeaderMap) -> u16 {
    route(headers)
}
