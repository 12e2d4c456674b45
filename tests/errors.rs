//! An `Err` becomes status Error, `error.type` and an `exception` event.

use std::fmt;

use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::opentelemetry::{Array, Value};
use otel_runtime::testing::{Span, SpanDataExt, capture};
use otel_runtime::traced;

#[derive(Debug)]
enum StoreError {
    NotFound(String),
    Corrupt { page: u32, source: std::io::Error },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound(key) => write!(f, "no such key: {key}"),
            StoreError::Corrupt { page, .. } => write!(f, "page {page} is corrupt"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Corrupt { source, .. } => Some(source),
            StoreError::NotFound(_) => None,
        }
    }
}

fn exception(span: &Span) -> (Value, Value) {
    let get = |key| span.event_attr("exception", key).cloned().expect(key);
    (get("exception.type"), get("exception.message"))
}

fn event_attr(span: &Span, key: &str) -> Option<Value> {
    span.event_attr("exception", key).cloned()
}

#[traced]
fn get(key: &str) -> Result<u32, StoreError> {
    if key == "answer" {
        return Ok(42);
    }
    Err(StoreError::NotFound(key.to_owned()))
}

#[test]
fn an_err_sets_status_error_type_and_one_exception_event() {
    let (_, spans) = capture(|| get("missing"));
    let span = spans.named("get");
    assert_eq!(span.status, Status::error("no such key: missing"));
    assert_eq!(
        span.attr("error.type"),
        Some(&Value::from("errors::StoreError::NotFound"))
    );
    assert_eq!(span.event_count("exception"), 1);
    let (ty, message) = exception(span);
    assert_eq!(ty, Value::from("errors::StoreError"));
    assert_eq!(message, Value::from("no such key: missing"));
}

#[test]
fn ok_leaves_the_status_unset() {
    let (value, spans) = capture(|| get("answer"));
    assert_eq!(value.unwrap(), 42);
    let span = spans.named("get");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.event_count("exception"), 0);
    assert_eq!(span.attr("error.type"), None);
}

#[traced]
fn corrupt() -> Result<(), StoreError> {
    let source = std::io::Error::other("checksum mismatch");
    Err(StoreError::Corrupt { page: 7, source })
}

#[test]
fn the_source_chain_is_kept() {
    let (_, spans) = capture(corrupt);
    let span = spans.named("corrupt");
    let chain = event_attr(span, "exception.source_chain");
    assert_eq!(
        chain,
        Some(Value::Array(Array::String(vec![
            "checksum mismatch".into()
        ])))
    );
}

#[traced]
fn read_config(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[test]
fn an_io_result_alias_is_a_result() {
    let (_, spans) = capture(|| read_config("/definitely/not/here"));
    let span = spans.named("read_config");
    assert!(matches!(span.status, Status::Error { .. }));
    assert_eq!(exception(span).0, Value::from("std::io::error::Error"));
}

#[traced]
fn boxed(fail: bool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    if fail {
        let inner: Box<dyn std::error::Error + Send + Sync> = Box::new(StoreError::Corrupt {
            page: 1,
            source: std::io::Error::other("disk"),
        });
        return Err(inner);
    }
    Ok(1)
}

#[test]
fn a_boxed_dyn_error_is_recorded_with_its_chain() {
    let (_, spans) = capture(|| boxed(true));
    let span = spans.named("boxed");
    assert_eq!(exception(span).1, Value::from("page 1 is corrupt"));
    let chain = event_attr(span, "exception.source_chain");
    assert_eq!(
        chain,
        Some(Value::Array(Array::String(vec!["disk".into()])))
    );
}

#[traced]
fn with_anyhow(n: u32) -> anyhow::Result<u32> {
    let parsed: u32 = "x"
        .parse()
        .map_err(|e| anyhow::Error::new(e).context("parsing n"))?;
    Ok(parsed + n)
}

#[test]
fn an_anyhow_result_is_recorded() {
    let (_, spans) = capture(|| with_anyhow(1));
    let span = spans.named("with_anyhow");
    assert_eq!(span.status, Status::error("parsing n"));
    assert_eq!(exception(span).0, Value::from("anyhow::Error"));
    let chain = event_attr(span, "exception.source_chain");
    assert_eq!(
        chain,
        Some(Value::Array(Array::String(vec![
            "invalid digit found in string".into()
        ])))
    );
}

#[traced]
fn propagate(key: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let value = get(key)?;
    Ok(value + 1)
}

#[test]
fn an_err_leaving_through_question_mark_is_recorded_once() {
    let (_, spans) = capture(|| propagate("nope"));
    let span = spans.named("propagate");
    assert_eq!(span.event_count("exception"), 1);
    assert_eq!(span.status, Status::error("no such key: nope"));
    // Recorded as the function returns it, a `Box<dyn Error>`, which is
    // named by what it holds.
    assert_eq!(span.attr("error.type"), Some(&Value::from("NotFound")));
}

#[derive(Debug)]
struct OnlyDebug(#[allow(dead_code)] u8);

#[traced]
fn only_debug() -> Result<(), OnlyDebug> {
    Err(OnlyDebug(3))
}

struct Nothing;

#[traced]
fn nothing() -> Result<(), Nothing> {
    Err(Nothing)
}

#[test]
fn an_error_without_display_uses_debug_or_its_type_name() {
    let (_, spans) = capture(only_debug);
    assert_eq!(
        spans.named("only_debug").status,
        Status::error("OnlyDebug(3)")
    );
    let (_, spans) = capture(nothing);
    assert_eq!(
        spans.named("nothing").status,
        Status::error("errors::Nothing")
    );
}

#[traced(err(Debug))]
fn debug_message() -> Result<(), StoreError> {
    Err(StoreError::NotFound("k".into()))
}

#[test]
fn err_debug_records_the_debug_text() {
    let (_, spans) = capture(debug_message);
    assert_eq!(
        exception(spans.named("debug_message")).1,
        Value::from("NotFound(\"k\")")
    );
}

#[traced(exception = false)]
fn no_event() -> Result<(), StoreError> {
    Err(StoreError::NotFound("k".into()))
}

#[test]
fn exception_false_keeps_status_and_error_type_only() {
    let (_, spans) = capture(no_event);
    let span = spans.named("no_event");
    assert_eq!(span.event_count("exception"), 0);
    assert_eq!(span.status, Status::error("no such key: k"));
    assert_eq!(
        span.attr("error.type"),
        Some(&Value::from("errors::StoreError::NotFound"))
    );
}

#[traced(err(off))]
fn not_recorded() -> Result<(), StoreError> {
    Err(StoreError::NotFound("k".into()))
}

#[test]
fn err_off_records_nothing() {
    let (_, spans) = capture(not_recorded);
    let span = spans.named("not_recorded");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.event_count("exception"), 0);
    assert_eq!(span.attr("error.type"), None);
}

fn is_miss(error: &StoreError) -> bool {
    matches!(error, StoreError::NotFound(_))
}

#[traced(expected_err = is_miss)]
fn cache_lookup(key: &str) -> Result<u32, StoreError> {
    let value = get(key)?;
    Ok(value)
}

#[traced(expected_err = |e| matches!(e, StoreError::NotFound(_)))]
fn cache_tail(hit: bool) -> Result<u32, StoreError> {
    if hit {
        Ok(1)
    } else {
        Err(StoreError::NotFound("k".into()))
    }
}

#[test]
fn an_expected_error_leaves_the_status_unset() {
    let (_, spans) = capture(|| cache_lookup("missing"));
    let span = spans.named("cache_lookup");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.event_count("exception"), 0);
    // The inner call has no predicate: its miss is an error there.
    assert!(matches!(spans.named("get").status, Status::Error { .. }));

    let (_, spans) = capture(|| cache_tail(false));
    assert_eq!(spans.named("cache_tail").status, Status::Unset);
}

#[traced(expected_err = is_miss)]
fn unexpected() -> Result<u32, StoreError> {
    corrupt()?;
    Ok(1)
}

#[test]
fn an_error_the_predicate_rejects_is_still_an_error() {
    let (_, spans) = capture(unexpected);
    assert_eq!(
        spans.named("unexpected").status,
        Status::error("page 7 is corrupt")
    );
}

#[traced]
fn option_question(value: Option<u8>) -> Option<u8> {
    let inner = value?;
    Some(inner + 1)
}

#[test]
fn a_none_is_not_an_error() {
    let (_, spans) = capture(|| option_question(None));
    let span = spans.named("option_question");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.event_count("exception"), 0);
}

#[traced]
fn closure_inside() -> Result<u8, StoreError> {
    // The closure's `?` leaves the closure, not the function.
    let attempt = || -> Result<u8, StoreError> {
        get("missing")?;
        Ok(1)
    };
    Ok(attempt().unwrap_or(0))
}

#[test]
fn a_question_mark_inside_a_closure_is_not_the_function_failing() {
    let (value, spans) = capture(closure_inside);
    assert_eq!(value.unwrap(), 0);
    assert_eq!(spans.named("closure_inside").status, Status::Unset);
}

/// An error type that borrows a generic, non-`'static` value: probing it
/// must not ask `'static` of it (regression: tempfile's `PersistError<F>`).
#[derive(Debug)]
struct Rejected<F> {
    file: F,
}

impl<F: std::fmt::Debug> fmt::Display for Rejected<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rejected {:?}", self.file)
    }
}

impl<F: std::fmt::Debug> std::error::Error for Rejected<F> {}

struct Holder<F> {
    file: F,
}

impl<F: std::fmt::Debug> Holder<F> {
    #[traced]
    fn persist(self) -> Result<F, Rejected<F>> {
        Err(Rejected { file: self.file })
    }
}

#[test]
fn a_non_static_generic_error_is_recorded() {
    let name = String::from("tmp");
    let (_, spans) = capture(|| {
        Holder {
            file: name.as_str(),
        }
        .persist()
    });
    assert_eq!(
        spans.named("persist").status,
        Status::error("rejected \"tmp\"")
    );
}
