#[traced(skip(conn, payload))]
fn store(conn: &mut Connection, key: &str, payload: Vec<u8>) {
    conn.put(key, payload);
}
