//! Arguments become attributes with OpenTelemetry's own types.

use std::borrow::Cow;

use otel_runtime::opentelemetry::Value;
use otel_runtime::testing::{SpanDataExt, capture};
use otel_runtime::traced;

#[traced]
#[allow(clippy::too_many_arguments)]
fn typed(
    small: i32,
    big: u64,
    huge: u128,
    ratio: f64,
    flag: bool,
    text: &str,
    owned: String,
    letter: char,
    cow: Cow<'_, str>,
) {
    let _ = (small, big, huge, ratio, flag, text, owned, letter, cow);
}

#[test]
fn scalars_and_strings_keep_their_types() {
    let (_, spans) = capture(|| {
        typed(
            -3,
            u64::MAX,
            7,
            0.5,
            true,
            "hi",
            "own".to_owned(),
            'x',
            Cow::Borrowed("cow"),
        )
    });
    let span = spans.named("typed");
    assert_eq!(span.attr("small"), Some(&Value::I64(-3)));
    assert_eq!(
        span.attr("big"),
        Some(&Value::String(u64::MAX.to_string().into()))
    );
    assert_eq!(span.attr("huge"), Some(&Value::I64(7)));
    assert_eq!(span.attr("ratio"), Some(&Value::F64(0.5)));
    assert_eq!(span.attr("flag"), Some(&Value::Bool(true)));
    assert_eq!(span.attr("text"), Some(&Value::from("hi")));
    assert_eq!(span.attr("owned"), Some(&Value::from("own")));
    assert_eq!(span.attr("letter"), Some(&Value::from("x")));
    assert_eq!(span.attr("cow"), Some(&Value::from("cow")));
}

#[traced]
fn options(present: Option<u8>, absent: Option<&str>, by_ref: &Option<String>, nested: &&i64) {
    let _ = (present, absent, by_ref, nested);
}

#[test]
fn options_record_their_inner_value_or_nothing() {
    let (_, spans) = capture(|| options(Some(4), None, &Some("in".to_owned()), &&9));
    let span = spans.named("options");
    assert_eq!(span.attr("present"), Some(&Value::I64(4)));
    assert_eq!(span.attr("absent"), None);
    assert_eq!(span.attr("by_ref"), Some(&Value::from("in")));
    assert_eq!(span.attr("nested"), Some(&Value::I64(9)));
}

#[derive(Debug)]
struct Point {
    x: i32,
    y: i32,
}

/// Neither `Debug` nor `Display`.
struct Opaque;

#[traced]
fn other_types(point: Point, maybe: Option<Point>, opaque: Opaque, list: Vec<u8>) {
    let _ = (point, maybe, opaque, list);
}

#[test]
fn other_types_use_debug_or_else_their_type_name() {
    let (_, spans) = capture(|| {
        other_types(
            Point { x: 1, y: 2 },
            Some(Point { x: 3, y: 4 }),
            Opaque,
            vec![1, 2],
        )
    });
    let span = spans.named("other_types");
    assert_eq!(
        span.attr("point"),
        Some(&Value::from("Point { x: 1, y: 2 }"))
    );
    assert_eq!(
        span.attr("maybe"),
        Some(&Value::from("Point { x: 3, y: 4 }"))
    );
    assert_eq!(
        span.attr("opaque"),
        Some(&Value::from("attributes::Opaque"))
    );
    assert_eq!(span.attr("list"), Some(&Value::from("[1, 2]")));
}

#[traced]
fn generic<T>(value: T) -> T {
    value
}

#[test]
fn a_generic_argument_needs_no_debug_bound() {
    let (_, spans) = capture(|| generic(Opaque));
    let recorded = spans.named("generic").attr("value").cloned();
    assert!(matches!(recorded, Some(Value::String(s)) if s.as_str().ends_with("Opaque")));
}

#[traced]
fn destructured(
    (a, b): (i32, i32),
    Point { x, y: renamed }: Point,
    [first, _]: [u8; 2],
    _: u8,
) -> i32 {
    a + b + x + renamed + i32::from(first)
}

#[test]
fn each_binding_of_a_pattern_is_recorded_under_its_name() {
    let (_, spans) = capture(|| destructured((1, 2), Point { x: 3, y: 4 }, [5, 6], 7));
    let span = spans.named("destructured");
    for (key, value) in [("a", 1), ("b", 2), ("x", 3), ("renamed", 4), ("first", 5)] {
        assert_eq!(span.attr(key), Some(&Value::I64(value)), "{key}");
    }
    assert_eq!(span.attr("y"), None);
}

struct Account {
    balance: i64,
}

impl Account {
    #[traced]
    fn deposit(&mut self, amount: i64) -> i64 {
        self.balance += amount;
        self.balance
    }
}

#[test]
fn self_is_not_recorded() {
    let mut account = Account { balance: 1 };
    let (balance, spans) = capture(|| account.deposit(2));
    assert_eq!(balance, 3);
    let span = spans.named("deposit");
    assert_eq!(span.attr("amount"), Some(&Value::I64(2)));
    assert_eq!(span.attr("self"), None);
}

#[traced]
fn login(user: &str, password: &str, api_key: String, session_token: &str) -> bool {
    !user.is_empty() && !password.is_empty() && !api_key.is_empty() && !session_token.is_empty()
}

#[test]
fn secret_looking_arguments_are_redacted() {
    let (_, spans) = capture(|| login("ann", "hunter2", "k-123".to_owned(), "t-9"));
    let span = spans.named("login");
    assert_eq!(span.attr("user"), Some(&Value::from("ann")));
    for key in ["password", "api_key", "session_token"] {
        assert_eq!(span.attr(key), Some(&Value::from("[REDACTED]")), "{key}");
    }
}

/// The names that an ending alone let through: words of a secret's name
/// anywhere in the argument's, plural, or in camel case.
#[traced]
fn rotate(
    password_hash: &str,
    passwords: &[&str],
    db_password_file: &str,
    x_api_key_id: u32,
    #[allow(non_snake_case)] clientSecret: &str,
    token_count: usize,
) -> usize {
    password_hash.len()
        + passwords.len()
        + db_password_file.len()
        + x_api_key_id as usize
        + clientSecret.len()
        + token_count
}

#[test]
fn arguments_holding_a_secrets_words_are_redacted() {
    let (total, spans) = capture(|| rotate("h", &["a", "b"], "/etc/pw", 4, "s", 3));
    assert_eq!(total, 18);
    let span = spans.named("rotate");
    for key in [
        "password_hash",
        "passwords",
        "db_password_file",
        "x_api_key_id",
        "clientSecret",
        "token_count",
    ] {
        assert_eq!(span.attr(key), Some(&Value::from("[REDACTED]")), "{key}");
    }
}

#[traced(fields(token))]
fn explicit_secret(token: &str) -> usize {
    token.len()
}

#[test]
fn a_secret_named_in_fields_is_recorded() {
    let (_, spans) = capture(|| explicit_secret("visible"));
    assert_eq!(
        spans.named("explicit_secret").attr("token"),
        Some(&Value::from("visible"))
    );
}

#[traced]
fn with_body_attributes(n: usize) -> usize {
    otel_runtime::set_attribute("rows_returned", n * 2);
    otel_runtime::add_event("halfway", []);
    n
}

#[test]
fn the_body_adds_attributes_and_events_in_one_call() {
    let (_, spans) = capture(|| with_body_attributes(3));
    let span = spans.named("with_body_attributes");
    assert_eq!(span.attr("rows_returned"), Some(&Value::I64(6)));
    assert_eq!(span.event_count("halfway"), 1);
}

#[traced]
fn r#type(r#match: u8) -> u8 {
    r#match
}

#[test]
fn raw_identifiers_are_recorded_without_their_prefix() {
    let (_, spans) = capture(|| r#type(1));
    assert_eq!(spans.named("type").attr("match"), Some(&Value::I64(1)));
}
