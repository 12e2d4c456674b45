use otel_runtime::traced;

#[traced(nmae = "checkout")]
fn checkout() {}

fn main() {
    // The function is still emitted beside the error: no second error here.
    checkout();
}
