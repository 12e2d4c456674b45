//! Carrying the current context into work that runs elsewhere: a thread, a
//! spawned task.
//!
//! The current context is per thread, and a future sees the context of
//! whichever thread polls it; neither follows the work by itself. A
//! `#[traced]` function's own span needs no help (it starts at the call,
//! and its future makes it current on every poll); what needs it is
//! untraced code between the spawn and the traced calls: a closure run on
//! another thread, an `async` block handed to an executor.

use opentelemetry::Context;

/// For futures: `future.with_current_context()` runs the future in the
/// context current when it is called, on whichever thread polls it, and
/// `future.with_context(cx)` in a given one. Spawn through it, as
/// `tokio::spawn(fut.with_current_context())`, so that spans started
/// inside the task are children of the span that spawned it.
///
/// ```
/// use otel_runtime::FutureExt as _;
/// use otel_runtime::testing::capture_async;
///
/// #[otel_runtime::traced]
/// async fn step(n: u32) -> u32 {
///     n + 1
/// }
///
/// #[otel_runtime::traced]
/// async fn handle() -> u32 {
///     // The runtime polls the task by itself, where nothing is current.
///     let task = async { step(1).await + step(2).await };
///     tokio::spawn(task.with_current_context()).await.unwrap()
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (_, spans) = capture_async(handle).await;
/// let parent = spans.named("handle");
/// let steps = spans.all_named("step");
/// assert_eq!(steps.len(), 2);
/// assert!(steps.iter().all(|s| spans.is_child_of(s, parent)));
/// # }
/// ```
pub use opentelemetry::trace::FutureExt;

/// Wraps `f` so that it runs in the context that is current now, wherever
/// and whenever it runs: for `std::thread::spawn`, `std::thread::scope`,
/// a thread pool's `spawn`. Spans started inside `f` are children of the
/// span current here.
///
/// ```
/// use otel_runtime::testing::capture;
///
/// #[otel_runtime::traced]
/// fn resize(image: u32) -> u32 {
///     image / 2
/// }
///
/// #[otel_runtime::traced]
/// fn upload(images: Vec<u32>) -> u32 {
///     let workers: Vec<_> = images
///         .into_iter()
///         .map(|image| std::thread::spawn(otel_runtime::with_current_context(move || resize(image))))
///         .collect();
///     workers.into_iter().map(|worker| worker.join().unwrap()).sum()
/// }
///
/// let (_, spans) = capture(|| upload(vec![4, 8]));
/// let parent = spans.named("upload");
/// let resized = spans.all_named("resize");
/// assert_eq!(resized.len(), 2);
/// assert!(resized.iter().all(|s| spans.is_child_of(s, parent)));
/// ```
pub fn with_current_context<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let cx = Context::current();
    move || {
        let _current = cx.attach();
        f()
    }
}
