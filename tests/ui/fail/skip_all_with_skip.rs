use otel_runtime::traced;

#[traced(skip_all, skip(x))]
fn f(x: u8) {
    let _ = x;
}

fn main() {}
