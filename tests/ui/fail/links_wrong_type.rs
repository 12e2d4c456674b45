use otel_runtime::traced;

#[traced(links = [request_id])]
fn handle(request_id: &str) {
    let _ = request_id;
}

fn main() {}
