#[traced(level = "debug", target = "app::db")]
fn query(sql: &str) {
    execute(sql);
}
