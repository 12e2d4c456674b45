#[traced(skip_all)]
fn store(conn: &mut Connection, key: &str) {
    conn.delete(key);
}
