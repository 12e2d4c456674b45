//! Every shape of function compiles and is traced, and annotating a
//! function never changes what it does.

use std::fmt::Display;
use std::panic::Location;
use std::pin::Pin;

use otel_runtime::opentelemetry::Value;
use otel_runtime::testing::{SpanDataExt, capture};
use otel_runtime::traced;

struct Counter {
    count: u32,
}

impl Counter {
    #[traced]
    fn get(&self) -> u32 {
        self.count
    }

    #[traced]
    fn bump(&mut self, by: u32) {
        self.count += by;
    }

    #[traced]
    fn into_count(self) -> u32 {
        self.count
    }

    #[traced]
    #[allow(clippy::boxed_local)]
    fn boxed(self: Box<Self>) -> u32 {
        self.count
    }

    #[traced]
    fn pinned(self: Pin<&mut Self>) -> u32 {
        self.count
    }

    #[traced]
    fn new(count: u32) -> Self {
        Self { count }
    }
}

#[test]
fn every_receiver_is_traced() {
    let (total, spans) = capture(|| {
        let mut counter = Counter::new(1);
        counter.bump(2);
        let mut pinned = Counter::new(counter.get());
        let from_pin = Pin::new(&mut pinned).pinned();
        from_pin + Box::new(Counter::new(1)).boxed() + counter.into_count()
    });
    assert_eq!(total, 7);
    for name in ["new", "bump", "get", "pinned", "boxed", "into_count"] {
        assert!(!spans.all_named(name).is_empty(), "{name}");
    }
}

trait Shape {
    fn area(&self) -> f64;

    #[traced]
    fn describe(&self, unit: &str) -> String {
        format!("{} {unit}", self.area())
    }
}

struct Square(f64);

impl Shape for Square {
    #[traced]
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

#[test]
fn trait_impls_and_provided_methods_are_traced() {
    let (text, spans) = capture(|| Square(2.0).describe("m2"));
    assert_eq!(text, "4 m2");
    assert!(spans.is_child_of(spans.named("area"), spans.named("describe")));
}

#[traced]
fn largest<'a, T, const N: usize>(items: &'a [T; N], fallback: &'a T) -> &'a T
where
    T: PartialOrd,
{
    let mut best = fallback;
    for item in items {
        if item > best {
            best = item;
        }
    }
    best
}

#[traced]
fn show(value: impl Display) -> impl Display {
    format!("<{value}>")
}

#[test]
fn generics_lifetimes_const_generics_and_impl_trait() {
    let (result, spans) = capture(|| (*largest(&[3, 9, 4], &0), show(5).to_string()));
    assert_eq!(result, (9, "<5>".to_owned()));
    // `T` is only `PartialOrd` here: neither typed nor `Debug`, so the
    // argument is recorded as its type name.
    assert_eq!(
        spans.named("largest").attr("fallback"),
        Some(&Value::from("&i32"))
    );
}

/// # Safety
/// `ptr` must be valid for reads.
#[traced]
unsafe fn read(ptr: *const u8) -> u8 {
    // SAFETY: the caller promises `ptr` is valid.
    unsafe { *ptr }
}

#[traced]
extern "C" fn callback(code: i32) -> i32 {
    code + 1
}

#[test]
fn unsafe_and_extern_functions() {
    let byte = 7u8;
    // SAFETY: `byte` is a live local.
    let (value, spans) = capture(|| unsafe { read(&byte) } + callback(1) as u8);
    assert_eq!(value, 9);
    assert!(spans.find("read").is_some() && spans.find("callback").is_some());
}

#[traced]
fn factorial(n: u64) -> u64 {
    if n <= 1 {
        return 1;
    }
    n * factorial(n - 1)
}

#[test]
fn recursion_nests_spans() {
    let (value, spans) = capture(|| factorial(4));
    assert_eq!(value, 24);
    let calls = spans.all_named("factorial");
    assert_eq!(calls.len(), 4);
    assert_eq!(calls.iter().filter(|s| spans.is_top_level(s)).count(), 1);
}

#[traced]
#[track_caller]
fn caller_location() -> &'static Location<'static> {
    Location::caller()
}

#[traced]
#[track_caller]
fn checked(value: Option<u8>) -> u8 {
    value.expect("a value")
}

#[test]
fn track_caller_still_reports_the_caller() {
    let expected_line = line!() + 1;
    let location = caller_location();
    assert_eq!((location.file(), location.line()), (file!(), expected_line));

    let calling_line = line!() + 1;
    let (outcome, spans) = capture(|| std::panic::catch_unwind(|| checked(None)));
    assert!(outcome.is_err());
    let stack = spans
        .named("checked")
        .event_attr("exception", "exception.stacktrace")
        .unwrap()
        .to_string();
    let expected = format!("at tests/shapes.rs:{calling_line}:");
    assert!(
        stack.starts_with(&expected),
        "the panic is placed at the caller: {stack}"
    );
}

#[traced]
fn local_item_path() -> &'static str {
    struct Local;
    std::any::type_name::<Local>()
}

#[test]
fn items_in_the_body_keep_their_paths() {
    assert_eq!(local_item_path(), "shapes::local_item_path::Local");
}

/// Documented.
#[traced]
#[must_use]
#[inline]
#[allow(clippy::needless_return)]
fn kept_attributes() -> u8 {
    return 1;
}

#[test]
fn other_attributes_are_kept() {
    assert_eq!(kept_attributes(), 1);
}

#[traced]
#[tokio::main(flavor = "current_thread")]
async fn traced_above_tokio_main() -> u8 {
    inner_async().await
}

#[tokio::main(flavor = "current_thread")]
#[traced]
async fn traced_below_tokio_main() -> u8 {
    inner_async().await
}

#[traced]
async fn inner_async() -> u8 {
    tokio::task::yield_now().await;
    3
}

#[test]
fn tokio_main_beside_traced_in_either_order() {
    let (value, spans) = capture(|| traced_above_tokio_main() + traced_below_tokio_main());
    assert_eq!(value, 6);
    assert!(spans.is_child_of(
        spans.all_named("inner_async")[0],
        spans.named("traced_above_tokio_main")
    ));
    assert!(spans.is_child_of(
        spans.all_named("inner_async")[1],
        spans.named("traced_below_tokio_main")
    ));
}

#[traced]
#[tokio::test]
async fn traced_above_tokio_test() {
    assert_eq!(inner_async().await, 3);
}

#[tokio::test]
#[traced]
async fn traced_below_tokio_test() {
    assert_eq!(inner_async().await, 3);
}

mod shadowed {
    // Modules named like the standard crates: a relative path in generated
    // code would resolve to these and fail to compile.
    mod core {}
    mod std {}

    #[otel_runtime::traced]
    pub fn beside_shadowing_modules(x: u8) -> Result<u8, ::std::num::TryFromIntError> {
        u8::try_from(u16::from(x) + 1)
    }

    #[otel_runtime::traced]
    pub async fn async_beside_shadowing_modules(x: u8) -> Option<u8> {
        x.checked_add(1)
    }
}

#[test]
fn generated_paths_are_absolute() {
    assert_eq!(shadowed::beside_shadowing_modules(1), Ok(2));
    let waker = ::std::task::Waker::noop();
    let mut cx = ::std::task::Context::from_waker(waker);
    let mut future = ::std::pin::pin!(shadowed::async_beside_shadowing_modules(1));
    assert_eq!(
        future.as_mut().poll(&mut cx),
        ::std::task::Poll::Ready(Some(2))
    );
}
