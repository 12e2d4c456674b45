//! `code.function.name`, `code.file.path` and `code.line.number`, and the
//! instrumentation scope.

use otel_runtime::opentelemetry::Value;
use otel_runtime::testing::{SpanDataExt, capture};
use otel_runtime::traced;

mod billing {
    use super::*;

    pub struct Invoice;

    impl Invoice {
        #[traced]
        pub fn total(&self) -> u32 {
            3
        }
    }

    #[traced]
    pub fn charge() -> u32 {
        1
    }
}

#[test]
fn code_attributes_name_the_function_and_where_it_is() {
    let (_, spans) = capture(billing::charge);
    let span = spans.named("charge");
    assert_eq!(
        span.attr("code.function.name"),
        Some(&Value::from("code_attributes::billing::charge"))
    );
    assert_eq!(
        span.attr("code.file.path"),
        Some(&Value::from("tests/code_attributes.rs"))
    );
    assert_eq!(span.attr("code.line.number"), Some(&Value::I64(21)));
}

#[test]
fn a_method_is_named_with_its_type() {
    let (_, spans) = capture(|| billing::Invoice.total());
    let span = spans.named("total");
    assert_eq!(
        span.attr("code.function.name"),
        Some(&Value::from("code_attributes::billing::Invoice::total"))
    );
}

#[test]
fn the_instrumentation_scope_is_the_annotated_crate() {
    let (_, spans) = capture(billing::charge);
    let scope = &spans.named("charge").instrumentation_scope;
    assert_eq!(scope.name(), env!("CARGO_PKG_NAME"));
    assert_eq!(scope.version(), Some(env!("CARGO_PKG_VERSION")));
}
