use otel_runtime::traced;

#[traced(parent)]
fn orphan() {}

#[traced(links, name = "linked")]
fn unlinked() {}

fn main() {}
