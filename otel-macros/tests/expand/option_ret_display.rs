#[traced(ret(Display))]
fn label(id: u32) -> String {
    format!("#{id}")
}
