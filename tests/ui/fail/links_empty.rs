use otel_runtime::traced;

#[traced(links = [])]
fn unlinked() {}

fn main() {}
