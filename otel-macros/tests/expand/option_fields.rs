#[traced(fields(db.system = "postgresql", user = %user_id, query = ?query, table, rows = query.len()))]
fn select(user_id: u64, query: &str, table: &str) -> usize {
    run(table, query)
}
