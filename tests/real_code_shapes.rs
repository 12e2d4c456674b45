//! Shapes of function that published crates contain and that `#[traced]`
//! once failed to compile, each with its family: every function here is
//! written twice by `twins!`, plain and traced, and both must give the same
//! result; where an error is returned, the span must record it.
//!
//! The three that started it (issue 15): a tail made of `#[cfg]`-gated
//! blocks (`http`'s `StatusCode::as_str`), a closure returned as
//! `impl FnMut(&T, &T)`, and an error type that is generic or borrowed
//! (`arrayvec`'s `CapacityError<T>` and `CapacityError<&str>`, whose `Error`
//! impl asks `T: Any`).
#![deny(warnings)]
#![deny(clippy::all)]

use std::any::Any;
use std::cmp::Ordering;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::testing::{SpanDataExt, capture};

/// Writes the items twice: in `plain`, as written, and in `traced`, each
/// under `#[traced]`.
macro_rules! twins {
    ($($item:item)*) => {
        #[allow(dead_code)]
        mod plain {
            use super::*;
            $($item)*
        }
        #[allow(dead_code)]
        mod traced {
            use super::*;
            $(#[otel_runtime::traced] $item)*
        }
    };
}

/// `plain::f(args)` and `traced::f(args)` give the same result; returns
/// the traced result and its spans.
macro_rules! same {
    ($f:ident $(::<$($generic:tt),*>)? ($($arg:expr),*)) => {{
        let plain = plain::$f $(::<$($generic),*>)? ($($arg),*);
        let (traced, spans) = capture(|| traced::$f $(::<$($generic),*>)? ($($arg),*));
        assert_eq!(format!("{plain:?}"), format!("{traced:?}"), stringify!($f));
        assert!(spans.find(stringify!($f)).is_some(), "no span for {}", stringify!($f));
        (traced, spans)
    }};
}

fn status_is_error(spans: &otel_runtime::testing::CapturedSpans, name: &str) -> String {
    match &spans.named(name).status {
        Status::Error { description } => description.to_string(),
        other => panic!("{name}: status {other:?}"),
    }
}

static TABLE: &str = "100101102200201";

/// A capacity error generic over what did not fit, as `arrayvec`'s.
#[derive(PartialEq, Eq)]
pub struct Full<T>(pub T);

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Full")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("insufficient capacity")
    }
}

// `Any` implies `'static`: the probe that picks how to record an error must
// not pick this impl for a `Full<T>` or a `Full<&str>`.
impl<T: Any> std::error::Error for Full<T> {}

/// A stack of at most `N` items, as `arrayvec::ArrayVec`.
pub struct Stack<T, const N: usize>(pub Vec<T>);

/// Text of at most `N` bytes, as `arrayvec::ArrayString`.
#[derive(Debug, PartialEq)]
pub struct Text<const N: usize>(pub String);

twins! {
    // 1. `#[cfg]`-gated tails: exactly one block survives configuration.
    pub fn code_text(code: u8) -> &'static str {
        let at = 3 * (code as usize);
        #[cfg(debug_assertions)]
        {
            &TABLE[at..at + 3]
        }
        #[cfg(not(debug_assertions))]
        {
            TABLE.get(at..at + 3).unwrap()
        }
    }

    pub fn gated_result(text: &str) -> Result<u8, std::num::ParseIntError> {
        let trimmed = text.trim();
        #[cfg(all())]
        {
            trimmed.parse()
        }
        #[cfg(any())]
        unsafe {
            core::hint::unreachable_unchecked()
        }
    }

    pub fn gated_statements(n: u8) -> Result<u8, String> {
        #[cfg(all())]
        let limit = 10;
        #[cfg(any())]
        let limit = 0;
        #[cfg(all())]
        if n > limit {
            return Err(format!("{n} > {limit}"));
        }
        #[cfg_attr(all(), allow(clippy::let_and_return))]
        let doubled = Ok(n * 2);
        doubled
    }

    pub fn gated_nested_tail(n: u8) -> Result<u8, String> {
        if n == 0 {
            #[cfg(all())]
            {
                Err("zero".to_owned())
            }
            #[cfg(any())]
            {
                Ok(0)
            }
        } else {
            Ok(n)
        }
    }

    // `serde_json`'s `OccupiedEntry::remove`: a `return` per configuration.
    pub fn gated_returns(n: u8) -> Result<u8, String> {
        #[cfg(any())]
        return Err(format!("{n}"));
        #[cfg(all())]
        return if n == 0 { Err("zero".into()) } else { Ok(n) };
    }

    pub fn gated_question(text: &str) -> Result<u8, std::num::ParseIntError> {
        #[cfg(all())]
        let n = text.parse::<u8>()?;
        #[cfg(any())]
        let n = text.parse::<u8>().unwrap();
        Ok(n)
    }

    pub fn inner_attribute(n: u8) -> Result<u8, String> {
        #![allow(unused_variables)]
        let unused = n;
        if n == 1 { Err("one".into()) } else { Ok(n) }
    }

    // 2. Closures that take their signature from the return type.
    pub fn by_key<T, K: Ord, F: FnMut(&T) -> K>(mut key: F) -> impl FnMut(&T, &T) -> Ordering {
        move |a, b| key(a).cmp(&key(b))
    }

    pub fn boxed_predicate<'a>(limit: &'a u8) -> Box<dyn Fn(&u8) -> bool + 'a> {
        Box::new(move |x| x < limit)
    }

    #[allow(clippy::type_complexity)]
    pub fn boxed_or_error(limit: u8) -> Result<Box<dyn Fn(&u8) -> bool>, String> {
        if limit == 0 {
            return Err("no limit".into());
        }
        Ok(Box::new(move |x| *x < limit))
    }

    pub fn evens<'a>(items: &'a [u8]) -> impl Iterator<Item = &'a u8> + 'a {
        items.iter().filter(|x| *x % 2 == 0)
    }

    pub fn later(n: u8) -> impl Future<Output = Result<u8, String>> {
        #[cfg(all())]
        {
            async move { if n == 0 { Err("zero".to_owned()) } else { Ok(n) } }
        }
        #[cfg(any())]
        {
            async move { Ok(0) }
        }
    }

    // 3. Error types that are generic or borrowed.
    pub fn from_text<const N: usize>(s: &str) -> Result<Text<N>, Full<&str>> {
        if s.len() > N { Err(Full(s)) } else { Ok(Text(s.to_owned())) }
    }

    pub fn borrowed_boxed_error<'a>(s: &'a str) -> Result<u8, Box<dyn std::error::Error + 'a>> {
        Ok(s.parse::<u8>()?)
    }

    // Macros, diverging tails and other bodies.
    pub fn tail_macro(n: u8) -> bool {
        matches!(n, 1..=3)
    }

    pub fn diverging_arm(n: u8) -> Result<u8, String> {
        match n {
            0 => Err("zero".into()),
            1..=9 => Ok(n),
            _ => unreachable!("checked by the caller"),
        }
    }

    pub fn loop_tail(mut n: u8) -> Result<u8, String> {
        loop {
            if n > 10 {
                return Err(format!("{n}"));
            }
            if n.is_multiple_of(7) {
                break Ok(n);
            }
            n += 3;
        }
    }

    pub fn let_else(text: &str) -> Result<u8, String> {
        let Some(first) = text.chars().next() else {
            return Err("empty".into());
        };
        let Some(digit) = first.to_digit(10) else {
            return Err(format!("{first} is not a digit"));
        };
        Ok(digit as u8)
    }

    pub fn labelled_block(n: u8) -> Result<u8, String> {
        let half = 'found: {
            if n % 2 == 1 {
                break 'found None;
            }
            Some(n / 2)
        };
        half.ok_or_else(|| "odd".to_owned())
    }

    pub fn returns_in_closures(items: &[u8]) -> Result<Vec<u8>, String> {
        let checked = items
            .iter()
            .map(|x| {
                if *x == 0 {
                    return Err("zero".to_owned());
                }
                Ok(x * 2)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let total = || -> Result<u8, String> {
            let sum: u8 = checked.iter().sum();
            Ok(sum.checked_add(0).ok_or("overflow")?)
        };
        total()?;
        Ok(checked)
    }

    pub fn question_on_poll(ready: Poll<Result<u8, String>>) -> Result<bool, String> {
        let polled = ready?;
        Ok(polled.is_ready())
    }

    pub fn question_then_method(text: &str) -> Result<String, std::num::ParseIntError> {
        text.parse::<u8>()?.to_string();
        Ok(text.parse::<u8>()?.to_string())
    }

    pub fn return_path(n: u8) -> Result<u8, String> {
        if n == 0 {
            return ::core::result::Result::Err("zero".into());
        }
        ::core::result::Result::Ok(n)
    }

    pub fn item_in_body(n: u8) -> Result<u8, String> {
        fn helper(n: u8) -> Result<u8, String> {
            if n == 0 { return Err("zero".into()); }
            Ok(n)
        }
        const LIMIT: u8 = 100;
        helper(n.min(LIMIT))
    }
}

/// Error types behind associated types, which may be anything: here a
/// `Full` of a borrowed `&str` or of a generic item.
mod associated {
    use super::Full;

    pub struct Text(pub String);

    impl<'a> TryFrom<&'a str> for Text {
        type Error = Full<&'a str>;

        #[otel_runtime::traced]
        fn try_from(s: &'a str) -> Result<Self, Self::Error> {
            if s.len() > 3 {
                Err(Full(s))
            } else {
                Ok(Text(s.to_owned()))
            }
        }
    }

    pub trait Bounded {
        type Item;
        fn len(&self) -> usize;
        fn push_unchecked(&mut self, item: Self::Item);

        /// A provided method, as `arrayvec`'s `ArrayVecImpl::try_push`.
        #[otel_runtime::traced]
        fn try_push(&mut self, item: Self::Item) -> Result<(), Full<Self::Item>> {
            if self.len() == 2 {
                return Err(Full(item));
            }
            self.push_unchecked(item);
            Ok(())
        }
    }

    impl<T> Bounded for Vec<T> {
        type Item = T;
        fn len(&self) -> usize {
            Vec::len(self)
        }
        fn push_unchecked(&mut self, item: T) {
            self.push(item);
        }
    }
}

/// Async shapes: the body of an `async fn` becomes an `async` block, whose
/// output the expansion names for `?`; names brought in by the body must
/// not change what that name means.
mod asynchronous {
    #[derive(Debug, PartialEq)]
    pub struct Error(pub String);

    #[otel_runtime::traced]
    pub async fn shadowed(n: u8) -> Result<u8, Error> {
        #[allow(unused_imports)]
        use std::io::*;
        if n == 0 {
            return ::core::result::Result::Err(self::Error("zero".into()));
        }
        ::core::result::Result::Ok(n)
    }

    #[otel_runtime::traced]
    pub async fn gated(n: u8) -> Result<u8, String> {
        #[cfg(debug_assertions)]
        {
            if n == 0 {
                Err("zero".to_owned())
            } else {
                Ok(n)
            }
        }
        #[cfg(not(debug_assertions))]
        {
            if n == 0 {
                Err("zero".to_owned())
            } else {
                Ok(n)
            }
        }
    }

    #[otel_runtime::traced]
    pub async fn boxed_predicate(limit: u8) -> Box<dyn Fn(&u8) -> bool + Send> {
        Box::new(move |x| *x < limit)
    }

    #[async_trait::async_trait]
    pub trait Store {
        async fn get(&self, key: u8) -> Result<u8, String>;
    }

    pub struct Memory;

    #[async_trait::async_trait]
    impl Store for Memory {
        #[otel_runtime::traced]
        async fn get(&self, key: u8) -> Result<u8, String> {
            if key == 0 {
                return Err("no key".into());
            }
            #[cfg(debug_assertions)]
            {
                Ok(key)
            }
            #[cfg(not(debug_assertions))]
            {
                Ok(key)
            }
        }
    }
}

/// The names of the return type are read where the signature is, even when
/// the body brings other items of the same names into scope.
mod shadowing {
    #[derive(Debug, PartialEq)]
    pub struct Error;

    #[otel_runtime::traced]
    pub fn shadowed(n: u8) -> Result<u8, Error> {
        #[allow(unused_imports)]
        use std::io::*;
        #[allow(dead_code)]
        struct Error;
        if n == 0 {
            return ::core::result::Result::Err(self::Error);
        }
        ::core::result::Result::Ok(n)
    }
}

impl<T, const N: usize> Stack<T, N> {
    #[otel_runtime::traced]
    pub fn push(&mut self, item: T) -> Result<(), Full<T>> {
        if self.0.len() == N {
            return Err(Full(item));
        }
        self.0.push(item);
        Ok(())
    }

    #[otel_runtime::traced]
    pub fn poll_pop(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<T>>
    where
        T: Unpin,
    {
        let this = self.get_mut();
        #[cfg(debug_assertions)]
        {
            Poll::Ready(this.0.pop())
        }
        #[cfg(not(debug_assertions))]
        {
            Poll::Ready(this.0.pop())
        }
    }
}

#[test]
fn cfg_gated_tails_keep_the_configured_block() {
    let (text, _) = same!(code_text(1));
    assert_eq!(text, "101");
    let (parsed, _) = same!(gated_result(" 7 "));
    assert_eq!(parsed, Ok(7));
    let (failed, spans) = same!(gated_result("x"));
    assert!(failed.is_err());
    assert_eq!(
        status_is_error(&spans, "gated_result"),
        "invalid digit found in string"
    );
    let (_, spans) = same!(gated_statements(11));
    assert_eq!(status_is_error(&spans, "gated_statements"), "11 > 10");
    let _ = same!(gated_statements(4));
    let (_, spans) = same!(gated_nested_tail(0));
    assert_eq!(status_is_error(&spans, "gated_nested_tail"), "zero");
    let _ = same!(gated_nested_tail(2));
    let (_, spans) = same!(gated_returns(0));
    assert_eq!(status_is_error(&spans, "gated_returns"), "zero");
    let _ = same!(gated_returns(3));
    let (_, spans) = same!(gated_question("x"));
    assert_eq!(
        status_is_error(&spans, "gated_question"),
        "invalid digit found in string"
    );
    let (_, spans) = same!(inner_attribute(1));
    assert_eq!(status_is_error(&spans, "inner_attribute"), "one");
}

#[test]
fn a_poll_method_with_a_gated_tail_is_traced() {
    let mut stack = Stack::<u8, 2>(vec![1]);
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    let (popped, spans) = capture(|| Pin::new(&mut stack).poll_pop(&mut cx));
    assert_eq!(popped, Poll::Ready(Some(1)));
    assert!(spans.find("poll_pop").is_some());
}

#[test]
fn closures_take_their_signature_from_the_return_type() {
    let mut words = vec!["ccc", "a", "bb"];
    let mut plain_order = plain::by_key(|s: &&str| s.len());
    let mut traced_order = traced::by_key(|s: &&str| s.len());
    words.sort_by(&mut traced_order);
    assert_eq!(words, ["a", "bb", "ccc"]);
    assert_eq!(plain_order(&"a", &"bb"), traced_order(&"a", &"bb"));

    let limit = 3;
    assert!(traced::boxed_predicate(&limit)(&2));
    assert!(!traced::boxed_predicate(&limit)(&3));
    let (result, spans) = capture(|| traced::boxed_or_error(0).map(|_| ()));
    assert!(result.is_err());
    assert_eq!(status_is_error(&spans, "boxed_or_error"), "no limit");
    assert!(traced::boxed_or_error(5).unwrap()(&4));

    let items = [1, 2, 3, 4];
    let evens: Vec<&u8> = traced::evens(&items).collect();
    assert_eq!(evens, plain::evens(&items).collect::<Vec<_>>());
}

#[test]
fn a_future_with_a_gated_tail_is_traced_to_its_end() {
    let (output, spans) = capture(|| futures::executor::block_on(traced::later(0)));
    assert_eq!(output, futures::executor::block_on(plain::later(0)));
    assert_eq!(status_is_error(&spans, "later"), "zero");
}

#[test]
fn generic_and_borrowed_errors_are_recorded_by_their_text() {
    let mut stack = Stack::<String, 1>(Vec::new());
    let (first, _) = capture(|| stack.push("a".to_owned()));
    assert_eq!(first, Ok(()));
    let (second, spans) = capture(|| stack.push("b".to_owned()));
    assert_eq!(second, Err(Full("b".to_owned())));
    let span = spans.named("push");
    assert_eq!(status_is_error(&spans, "push"), "insufficient capacity");
    let error_type = span.attr("error.type").unwrap().to_string();
    assert!(error_type.contains("Full"), "{error_type}");
    assert_eq!(span.event_count("exception"), 1);

    let (too_long, spans) = same!(from_text::<2>("abc"));
    assert_eq!(too_long, Err(Full("abc")));
    assert_eq!(
        status_is_error(&spans, "from_text"),
        "insufficient capacity"
    );
    let (fits, _) = same!(from_text::<4>("abc"));
    assert_eq!(fits, Ok(Text("abc".to_owned())));

    let (_, spans) = same!(borrowed_boxed_error("x"));
    assert_eq!(
        status_is_error(&spans, "borrowed_boxed_error"),
        "invalid digit found in string"
    );
}

#[test]
fn macros_and_diverging_tails_behave_as_written() {
    let _ = same!(tail_macro(2));
    let _ = same!(tail_macro(5));
    let (_, spans) = same!(diverging_arm(0));
    assert_eq!(status_is_error(&spans, "diverging_arm"), "zero");
    let _ = same!(diverging_arm(4));
    let panicked = std::panic::catch_unwind(|| capture(|| traced::diverging_arm(10)).0);
    assert!(panicked.is_err());
    let (_, spans) = same!(loop_tail(5));
    assert_eq!(status_is_error(&spans, "loop_tail"), "11");
    let (seven, _) = same!(loop_tail(1));
    assert_eq!(seven, Ok(7));
}

#[test]
fn let_else_labelled_blocks_and_closures_keep_their_exits() {
    for text in ["", "x", "7"] {
        let _ = same!(let_else(text));
    }
    let (_, spans) = same!(let_else("x"));
    assert_eq!(status_is_error(&spans, "let_else"), "x is not a digit");
    let _ = same!(labelled_block(4));
    let (_, spans) = same!(labelled_block(3));
    assert_eq!(status_is_error(&spans, "labelled_block"), "odd");
    let _ = same!(returns_in_closures(&[1, 2]));
    let (_, spans) = same!(returns_in_closures(&[1, 0]));
    assert_eq!(status_is_error(&spans, "returns_in_closures"), "zero");
}

#[test]
fn question_marks_on_every_stable_operand() {
    let (pending, _) = same!(question_on_poll(Poll::Pending));
    assert_eq!(pending, Ok(false));
    let _ = same!(question_on_poll(Poll::Ready(Ok(1))));
    let (_, spans) = same!(question_on_poll(Poll::Ready(Err("late".into()))));
    assert_eq!(status_is_error(&spans, "question_on_poll"), "late");
    let _ = same!(question_then_method("12"));
    let (_, spans) = same!(question_then_method("1x"));
    assert_eq!(
        status_is_error(&spans, "question_then_method"),
        "invalid digit found in string"
    );
}

#[test]
fn paths_and_items_in_the_body_resolve_as_written() {
    let (_, spans) = same!(return_path(0));
    assert_eq!(status_is_error(&spans, "return_path"), "zero");
    let (_, spans) = same!(item_in_body(0));
    assert_eq!(status_is_error(&spans, "item_in_body"), "zero");
    let (result, spans) = capture(|| shadowing::shadowed(0));
    assert_eq!(result, Err(shadowing::Error));
    assert_eq!(
        spans.named("shadowed").attr("error.type"),
        Some(&Value::from("real_code_shapes::shadowing::Error"))
    );
}

#[test]
fn async_bodies_keep_their_shapes() {
    use asynchronous::Store as _;
    use futures::executor::block_on;
    let (result, spans) = capture(|| block_on(asynchronous::shadowed(0)));
    assert_eq!(result, Err(asynchronous::Error("zero".into())));
    assert!(matches!(
        spans.named("shadowed").status,
        Status::Error { .. }
    ));
    let (result, spans) = capture(|| block_on(asynchronous::gated(0)));
    assert_eq!(result, Err("zero".to_owned()));
    assert_eq!(status_is_error(&spans, "gated"), "zero");
    assert!(block_on(asynchronous::boxed_predicate(3))(&2));
    let (result, spans) = capture(|| block_on(asynchronous::Memory.get(0)));
    assert_eq!(result, Err("no key".to_owned()));
    assert_eq!(status_is_error(&spans, "get"), "no key");
    assert_eq!(block_on(asynchronous::Memory.get(4)), Ok(4));
}

#[test]
fn errors_behind_associated_types_are_recorded_by_their_text() {
    use associated::Bounded as _;
    let (result, spans) = capture(|| associated::Text::try_from("long").map(|text| text.0));
    assert_eq!(result, Err(Full("long")));
    assert_eq!(status_is_error(&spans, "try_from"), "insufficient capacity");
    let mut items = vec![1, 2];
    let (result, spans) = capture(|| items.try_push(3));
    assert_eq!(result, Err(Full(3)));
    assert_eq!(status_is_error(&spans, "try_push"), "insufficient capacity");
}
