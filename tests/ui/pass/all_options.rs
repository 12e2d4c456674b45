//! Every option of `#[traced]`, each in the form the manual gives: all must
//! compile without a warning.
#![deny(warnings)]

use otel_runtime::traced;

#[derive(Debug)]
enum StoreError {
    NotFound,
    Broken,
}

impl ::std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl ::std::error::Error for StoreError {}

fn is_not_found(error: &StoreError) -> bool {
    matches!(error, StoreError::NotFound)
}

fn lookup(key: u32) -> Result<u32, StoreError> {
    match key {
        0 => Err(StoreError::NotFound),
        1 => Err(StoreError::Broken),
        _ => Ok(key),
    }
}

/// A re-export of the runtime, for `crate = "…"`.
mod telemetry {
    pub use ::otel_runtime::__private;
}

#[traced(name = "orders.place", kind = "server")]
fn named(id: u32) {
    let _ = id;
}

#[traced(kind = "client")]
fn client() {}

#[traced(kind = producer)]
fn producer() {}

#[traced(kind = "Consumer")]
fn consumer() {}

#[traced(kind = "internal")]
fn internal() {}

#[traced(skip(conn, r#type))]
fn skipped(conn: &mut Vec<u8>, key: &str, r#type: u8) {
    conn.push(r#type);
    let _ = key;
}

#[traced(skip_all)]
fn skip_all(password: &str, user: &str) {
    let _ = (password, user);
}

#[traced(fields(
    db.system = "postgresql",
    db.query.text = %query,
    user = ?user,
    rows = query.len(),
    "quoted.key" = 1,
    query,
    password,
))]
fn with_fields(query: &str, user: Option<u32>, password: &str) {
    let _ = (query, user, password);
}

#[traced(ret)]
fn ret_typed(x: u32) -> u32 {
    if x == 0 {
        return 1;
    }
    x * 2
}

#[traced(ret(Debug))]
fn ret_debug(x: u32) -> Vec<u32> {
    vec![x]
}

#[traced(ret(Display))]
fn ret_display(x: u32) -> String {
    x.to_string()
}

#[traced(err)]
fn err_display(key: u32) -> Result<u32, StoreError> {
    let value = lookup(key)?;
    Ok(value)
}

#[traced(err(Debug))]
fn err_debug(key: u32) -> Result<u32, StoreError> {
    lookup(key)
}

#[traced(err(Display), ret)]
fn err_and_ret(key: u32) -> Result<u32, StoreError> {
    lookup(key)
}

#[traced(err(off))]
fn err_off(key: u32) -> Result<u32, StoreError> {
    let value = lookup(key)?;
    Ok(value)
}

#[traced(exception = false)]
fn no_exception(key: u32) -> Result<u32, StoreError> {
    lookup(key)
}

#[traced(expected_err = is_not_found)]
fn expected_by_path(key: u32) -> Result<u32, StoreError> {
    let value = lookup(key)?;
    Ok(value)
}

#[traced(expected_err = |e: &StoreError| matches!(e, StoreError::NotFound))]
fn expected_by_closure(key: u32) -> Result<u32, StoreError> {
    lookup(key)
}

#[traced(expected_err = |e| matches!(e, StoreError::NotFound))]
fn expected_by_unannotated_closure(key: u32) -> Result<u32, StoreError> {
    let value = lookup(key)?;
    Ok(value)
}

#[traced(expected_err = is_not_found)]
async fn expected_async(key: u32) -> Result<u32, StoreError> {
    let value = lookup(key)?;
    Ok(value)
}

#[traced(crate = "crate::telemetry")]
fn through_reexport(x: u32) -> Result<u32, StoreError> {
    lookup(x)
}

#[traced(crate = "crate::telemetry", ret, fields(twice = x * 2))]
async fn async_through_reexport(x: u32) -> u32 {
    x
}

#[traced(kind = "server", parent = cx, links = [cx])]
fn with_parent_and_links(cx: &otel_runtime::opentelemetry::Context) {
    let _ = cx;
}

#[traced(level = "debug", target = "app::store")]
fn tracing_compatible(x: u32) -> u32 {
    x
}

#[traced(
    name = "everything",
    kind = "server",
    skip(secret),
    fields(http.route = "/items", id = %id),
    ret,
    err(Debug),
    exception = false,
    expected_err = is_not_found,
    level = "info",
)]
async fn everything(id: u32, secret: String) -> Result<u32, StoreError> {
    let _ = secret;
    let value = lookup(id)?;
    Ok(value)
}

fn main() {
    named(1);
    client();
    producer();
    consumer();
    internal();
    skipped(&mut Vec::new(), "k", 1);
    skip_all("p", "u");
    with_fields("select 1", Some(1), "p");
    let _ = ret_typed(1);
    let _ = ret_debug(1);
    let _ = ret_display(1);
    for key in 0..3 {
        let _ = err_display(key);
        let _ = err_debug(key);
        let _ = err_and_ret(key);
        let _ = err_off(key);
        let _ = no_exception(key);
        let _ = expected_by_path(key);
        let _ = expected_by_closure(key);
        let _ = expected_by_unannotated_closure(key);
        let _ = through_reexport(key);
    }
    with_parent_and_links(&otel_runtime::opentelemetry::Context::new());
    let _ = tracing_compatible(1);
    futures::executor::block_on(async {
        let _ = expected_async(0).await;
        let _ = async_through_reexport(1).await;
        let _ = everything(2, "s".to_owned()).await;
    });
}
