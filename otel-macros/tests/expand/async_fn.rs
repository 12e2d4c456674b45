#[traced]
async fn fetch(id: u64) -> String {
    format!("item {id}")
}
