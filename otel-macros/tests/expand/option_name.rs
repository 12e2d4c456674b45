#[traced(name = "orders.place")]
fn place_order(id: u64) {
    submit(id);
}
