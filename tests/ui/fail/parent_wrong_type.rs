use otel_runtime::traced;

#[traced(parent = request_id)]
fn handle(request_id: u64) {
    let _ = request_id;
}

fn main() {}
