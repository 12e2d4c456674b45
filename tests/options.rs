//! Every `#[traced(…)]` option.

use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::SpanKind;
use otel_runtime::testing::{SpanDataExt, capture};
use otel_runtime::traced;

#[traced(name = "checkout.total")]
fn named() {}

#[test]
fn name_overrides_the_span_name() {
    let (_, spans) = capture(named);
    assert!(spans.find("checkout.total").is_some());
    assert!(spans.find("named").is_none());
}

#[traced(kind = "client")]
fn client() {}

#[traced(kind = "server")]
fn server() {}

#[traced(kind = "producer")]
fn producer() {}

#[traced(kind = "consumer")]
fn consumer() {}

#[traced]
fn internal() {}

#[test]
fn kind_sets_the_span_kind() {
    let (_, spans) = capture(|| {
        client();
        server();
        producer();
        consumer();
        internal();
    });
    assert_eq!(spans.named("client").span_kind, SpanKind::Client);
    assert_eq!(spans.named("server").span_kind, SpanKind::Server);
    assert_eq!(spans.named("producer").span_kind, SpanKind::Producer);
    assert_eq!(spans.named("consumer").span_kind, SpanKind::Consumer);
    assert_eq!(spans.named("internal").span_kind, SpanKind::Internal);
}

#[traced(skip(b, c))]
fn skipping(a: u8, b: u8, c: u8) -> u8 {
    a + b + c
}

#[traced(skip_all)]
fn skipping_all(a: u8, b: u8) -> u8 {
    a + b
}

#[test]
fn skip_and_skip_all_leave_arguments_out() {
    let (_, spans) = capture(|| (skipping(1, 2, 3), skipping_all(4, 5)));
    let span = spans.named("skipping");
    assert_eq!(span.attr("a"), Some(&Value::I64(1)));
    assert_eq!(span.attr("b"), None);
    assert_eq!(span.attr("c"), None);
    let span = spans.named("skipping_all");
    assert_eq!(span.attr("a"), None);
    assert_eq!(span.attr("b"), None);
}

struct Query {
    table: &'static str,
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SELECT * FROM {}", self.table)
    }
}

#[traced(skip(query), fields(db.system = "postgresql", rows = 3, db.statement = %query, table = ?query.table, limit))]
fn fields(query: &Query, limit: usize) {
    let _ = query;
}

#[test]
fn fields_add_typed_dotted_display_and_debug_attributes() {
    let (_, spans) = capture(|| fields(&Query { table: "orders" }, 10));
    let span = spans.named("fields");
    assert_eq!(span.attr("db.system"), Some(&Value::from("postgresql")));
    assert_eq!(span.attr("rows"), Some(&Value::I64(3)));
    assert_eq!(
        span.attr("db.statement"),
        Some(&Value::from("SELECT * FROM orders"))
    );
    assert_eq!(span.attr("table"), Some(&Value::from("\"orders\"")));
    assert_eq!(span.attr("limit"), Some(&Value::I64(10)));
    assert_eq!(span.attr("query"), None);
}

#[traced(fields(user = "override"))]
fn field_overrides(user: &str) -> usize {
    user.len()
}

#[test]
fn a_field_named_like_an_argument_replaces_it() {
    let (_, spans) = capture(|| field_overrides("ann"));
    assert_eq!(
        spans.named("field_overrides").attr("user"),
        Some(&Value::from("override"))
    );
}

#[traced(ret)]
fn typed_return(n: u32) -> u32 {
    if n == 0 {
        return 100;
    }
    n * 2
}

#[derive(Debug)]
struct Receipt {
    id: u8,
}

#[traced(ret(Debug))]
fn debug_return() -> Receipt {
    Receipt { id: 1 }
}

#[traced(ret(Display))]
fn display_return() -> String {
    "shown".into()
}

#[test]
fn ret_records_the_return_value() {
    let (_, spans) = capture(|| {
        (
            typed_return(0),
            typed_return(4),
            debug_return().id,
            display_return(),
        )
    });
    let values: Vec<_> = spans
        .all_named("typed_return")
        .iter()
        .map(|s| s.attr("return").cloned())
        .collect();
    assert_eq!(values, vec![Some(Value::I64(100)), Some(Value::I64(8))]);
    assert_eq!(
        spans.named("debug_return").attr("return"),
        Some(&Value::from("Receipt { id: 1 }"))
    );
    assert_eq!(
        spans.named("display_return").attr("return"),
        Some(&Value::from("shown"))
    );
}

#[traced(ret)]
async fn async_return(n: u8) -> Option<u8> {
    Some(n)
}

#[tokio::test]
async fn ret_records_an_async_return_value() {
    let (_, spans) = otel_runtime::testing::capture_async(|| async_return(7)).await;
    assert_eq!(
        spans.named("async_return").attr("return"),
        Some(&Value::I64(7))
    );
}

#[traced(level = "debug", target = "app::db")]
fn migrated_from_instrument() {}

#[test]
fn instrument_only_options_are_accepted() {
    let (_, spans) = capture(migrated_from_instrument);
    assert!(spans.find("migrated_from_instrument").is_some());
}

/// A crate that re-exports `otel_runtime` under another name, as a
/// framework crate would.
mod framework {
    pub use otel_runtime as tracing_support;
}

#[traced(crate = "framework::tracing_support")]
fn through_a_reexport(x: u8) -> u8 {
    x
}

#[test]
fn crate_names_the_path_of_a_reexported_runtime() {
    let (_, spans) = capture(|| through_a_reexport(2));
    assert_eq!(
        spans.named("through_a_reexport").attr("x"),
        Some(&Value::I64(2))
    );
}

#[traced(ret)]
fn parsed(text: &str) -> Result<u16, std::num::ParseIntError> {
    let port: u16 = text.parse()?;
    Ok(port)
}

#[test]
fn ret_records_the_ok_value_of_a_result() {
    let (_, spans) = capture(|| (parsed("80"), parsed("x")));
    let values: Vec<_> = spans
        .all_named("parsed")
        .iter()
        .map(|s| s.attr("return").cloned())
        .collect();
    assert_eq!(values, vec![Some(Value::I64(80)), None]);
}

// What `#[instrument]` users write, accepted and honoured.

#[traced(ret(level = "debug"), err(Debug, level = "warn"))]
fn leveled(fail: bool) -> Result<u32, String> {
    if fail {
        Err("no stock".to_owned())
    } else {
        Ok(3)
    }
}

#[test]
fn levels_in_ret_and_err_are_accepted_and_the_modes_kept() {
    let (_, spans) = capture(|| {
        let _ = leveled(false);
        let _ = leveled(true);
    });
    let spans = spans.all_named("leveled");
    assert_eq!(spans[0].attr("return"), Some(&Value::I64(3)));
    // `err(Debug)`: the error's `Debug` text.
    assert_eq!(
        spans[1].status,
        otel_runtime::opentelemetry::trace::Status::error("\"no stock\"")
    );
}

#[traced(fields(otel.name = format!("GET /users/{id}"), otel.kind = "server", otel.status_code = "ERROR", otel.status_description = "not found"))]
fn otel_fields(id: u32) {}

#[traced(fields(otel.name = "users.lookup", otel.status_code = "ok"))]
fn otel_literal_name() {}

#[test]
fn otel_fields_set_the_name_kind_and_status_as_tracing_opentelemetry_reads_them() {
    let (_, spans) = capture(|| {
        otel_fields(7);
        otel_literal_name();
    });
    let span = spans.named("GET /users/7");
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(
        span.status,
        otel_runtime::opentelemetry::trace::Status::error("not found")
    );
    assert_eq!(span.attr("id"), Some(&Value::I64(7)));
    assert_eq!(span.attr("otel.name"), None);
    assert_eq!(span.attr("otel.status_code"), None);
    let literal = spans.named("users.lookup");
    assert_eq!(
        literal.status,
        otel_runtime::opentelemetry::trace::Status::Ok
    );
}

#[traced(fields(found, order))]
fn declared(order: u32) {
    if order > 1 {
        otel_runtime::set_attribute("found", true);
    }
}

#[test]
fn a_field_that_is_no_argument_is_declared_and_recorded_later() {
    let (_, spans) = capture(|| {
        declared(2);
        declared(1);
    });
    let spans = spans.all_named("declared");
    assert_eq!(spans[0].attr("found"), Some(&Value::Bool(true)));
    assert_eq!(spans[0].attr("order"), Some(&Value::I64(2)));
    assert_eq!(spans[1].attr("found"), None);
}

#[traced(follows_from = [cause])]
fn effect(cause: &otel_runtime::opentelemetry::Context) {
    let _ = cause;
}

#[test]
fn follows_from_links_as_links_does() {
    let (_, spans) = capture(|| {
        let cause = otel_runtime::opentelemetry::Context::current();
        effect(&cause);
    });
    let span = spans.named("effect");
    assert_eq!(span.links.len(), 1);
    assert_eq!(span.links[0].span_context.trace_id(), spans.trace_id());
}
