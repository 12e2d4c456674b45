//! Many shapes of function under `#[traced]`: all must compile without a
//! warning, and with no help from the annotated crate's own `core` or `std`.
#![deny(warnings)]

use ::std::fmt::Debug;
use ::std::future::Future;
use ::std::pin::Pin;

use otel_runtime::traced;

// Local modules named like the standard crates: a generated path that is
// not absolute (`core::…` instead of `::core::…`) would resolve to these.
#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod std {}

/// Doc comments stay on the function.
#[traced]
fn documented(x: u8) -> u8 {
    x
}

#[traced]
fn generic_with_where<T, U>(t: T, u: &U) -> String
where
    T: Debug + Clone,
    U: ?Sized + Debug,
{
    format!("{t:?} {u:?}")
}

#[traced]
fn lifetimes<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str {
    a
}

#[traced]
fn const_generic<const N: usize>(array: [u8; N]) -> usize {
    array.len() + N
}

#[traced]
fn impl_trait_arg(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

#[traced]
fn impl_trait_return(n: u32) -> impl Iterator<Item = u32> {
    0..n
}

/// # Safety
/// Reads `ptr`, which must be valid.
#[traced]
unsafe fn unsafe_fn(ptr: *const u8) -> u8 {
    // SAFETY: the caller promises `ptr` is valid.
    unsafe { *ptr }
}

#[traced]
extern "C" fn extern_c(x: i32) -> i32 {
    x + 1
}

#[traced]
fn recursive(n: u64) -> u64 {
    if n == 0 { 1 } else { n * recursive(n - 1) }
}

/// Neither `Debug` nor `Display`: recorded by its type name.
struct Opaque;

#[traced]
fn opaque_arg(opaque: Opaque, by_ref: &Opaque) -> usize {
    let _ = (opaque, by_ref);
    0
}

#[traced]
#[track_caller]
fn tracked() -> u32 {
    ::core::panic::Location::caller().line()
}

#[traced]
#[must_use]
fn must_use(x: u8) -> u8 {
    x
}

#[traced]
fn returns_unit(x: u8) {
    let _ = x;
}

#[traced]
fn early_return_and_try(text: &str) -> Result<u16, ::std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let port = text.parse::<u16>()?;
    Ok(port)
}

#[derive(Debug, Default)]
struct Counter {
    count: u32,
}

impl Counter {
    #[traced]
    fn by_ref(&self) -> u32 {
        self.count
    }

    #[traced]
    fn by_mut(&mut self, by: u32) {
        self.count += by;
    }

    #[traced]
    fn by_value(self) -> u32 {
        self.count
    }

    #[traced]
    fn boxed(self: Box<Self>) -> u32 {
        self.count
    }

    #[traced]
    fn pinned(self: Pin<&mut Self>) -> u32 {
        self.count
    }

    #[traced]
    async fn async_by_ref(&self, add: u32) -> u32 {
        self.count + add
    }

    #[traced]
    fn new() -> Self {
        Self::default()
    }
}

trait Greeter {
    fn greet(&self, name: &str) -> String;
    fn answer(&self) -> impl Future<Output = u32> + Send;
    fn boxed<'a>(&'a self, n: u32) -> Pin<Box<dyn Future<Output = u32> + Send + 'a>>;
    async fn native(&self, n: u32) -> Result<u32, String>;
}

struct English;

impl Greeter for English {
    #[traced]
    fn greet(&self, name: &str) -> String {
        format!("hello {name}")
    }

    #[traced]
    fn answer(&self) -> impl Future<Output = u32> + Send {
        async { 42 }
    }

    #[traced]
    fn boxed<'a>(&'a self, n: u32) -> Pin<Box<dyn Future<Output = u32> + Send + 'a>> {
        Box::pin(async move { n })
    }

    #[traced]
    async fn native(&self, n: u32) -> Result<u32, String> {
        if n == 0 {
            return Err("zero".to_owned());
        }
        Ok(n)
    }
}

#[traced]
async fn async_generic<T: Debug + Send>(value: T) -> String {
    format!("{value:?}")
}

#[traced]
async fn async_wild(_: u8, (a, _): (u8, u8)) -> u8 {
    a
}

fn main() {
    let mut counter = Counter::new();
    counter.by_mut(2);
    let _ = counter.by_ref();
    let _ = Box::pin(Counter::default()).as_mut().pinned();
    let _ = Box::new(Counter::default()).boxed();
    let _ = counter.by_value();
    let _ = documented(1);
    let _ = generic_with_where(1, "u");
    let _ = lifetimes("a", "b");
    let _ = const_generic([1, 2, 3]);
    let _ = impl_trait_arg(vec![1, 2]);
    let _ = impl_trait_return(3).count();
    let byte = 7u8;
    // SAFETY: `byte` lives.
    let _ = unsafe { unsafe_fn(&byte) };
    let _ = extern_c(1);
    let _ = recursive(5);
    let _ = opaque_arg(Opaque, &Opaque);
    let _ = tracked();
    let _ = must_use(1);
    returns_unit(1);
    let _ = early_return_and_try("80");
    let english = English;
    let _ = english.greet("you");
    futures::executor::block_on(async {
        let _ = english.answer().await;
        let _ = english.boxed(1).await;
        let _ = english.native(1).await;
        let _ = Counter::default().async_by_ref(1).await;
        let _ = async_generic(1).await;
        let _ = async_wild(1, (2, 3)).await;
    });
}
