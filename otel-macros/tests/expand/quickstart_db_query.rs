// The quickstart's `db_query` (examples/quickstart.rs), whose expansion the
// README shows.
#[traced]
fn db_query(query: &str) -> Result<Vec<u32>, PaymentError> {
    std::thread::sleep(Duration::from_millis(30));
    let rows = vec![1, 2, 3];
    otel_runtime::set_attribute("rows_returned", rows.len());
    // With the `log` feature, a log line lands in this span, in the tree.
    log::info!("{} rows for {query}", rows.len());
    Ok(rows)
}
