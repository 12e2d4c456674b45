//! `async fn` and functions returning futures: the span lives from the call
//! to the future's completion, current on every poll.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::testing::{SpanDataExt, capture_async};
use otel_runtime::traced;

#[traced]
async fn child(n: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    n
}

#[traced]
async fn parent(label: &str) -> u64 {
    let first = child(1).await;
    tokio::task::yield_now().await;
    let (a, b) = tokio::join!(child(2), child(3));
    first + a + b + label.len() as u64
}

#[tokio::test]
async fn spans_across_awaits_and_joins_are_children() {
    let (sum, spans) = capture_async(|| parent("p")).await;
    assert_eq!(sum, 7);
    let parent = spans.named("parent");
    let children = spans.all_named("child");
    assert_eq!(children.len(), 3);
    assert!(children.iter().all(|c| spans.is_child_of(c, parent)));
    assert_eq!(parent.attr("label"), Some(&Value::from("p")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tasks_never_adopt_each_others_spans() {
    let (_, spans) = capture_async(|| async {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                tokio::spawn(
                    otel_runtime::opentelemetry::trace::FutureExt::with_current_context(parent(
                        if i % 2 == 0 { "even" } else { "odd" },
                    )),
                )
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
    let parents = spans.all_named("parent");
    assert_eq!(parents.len(), 8);
    for parent in parents {
        assert_eq!(spans.children_of(parent).len(), 3);
    }
}

#[tokio::test]
async fn the_span_starts_at_the_call_not_at_the_first_poll() {
    let (created, spans) = capture_async(|| async {
        let future = child(1);
        let created = SystemTime::now();
        tokio::time::sleep(Duration::from_millis(30)).await;
        future.await;
        created
    })
    .await;
    let span = spans.named("child");
    assert!(span.start_time <= created);
    assert!(span.end_time.duration_since(span.start_time).unwrap() >= Duration::from_millis(30));
}

#[traced]
async fn slow() {
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[tokio::test]
async fn a_future_dropped_before_completion_ends_its_span_as_cancelled() {
    let (_, spans) = capture_async(|| async {
        let slow = slow();
        let _ = tokio::time::timeout(Duration::from_millis(5), slow).await;
    })
    .await;
    let span = spans.named("slow");
    assert_eq!(span.attr("code.cancelled"), Some(&Value::Bool(true)));
    assert_eq!(span.status, Status::Unset);
}

#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

#[traced]
async fn fallible(fail: bool) -> Result<u8, Failed> {
    tokio::task::yield_now().await;
    if fail {
        Err(Failed)?;
    }
    Ok(1)
}

#[tokio::test]
async fn an_async_err_is_recorded() {
    let (_, spans) = capture_async(|| fallible(true)).await;
    let span = spans.named("fallible");
    assert_eq!(span.status, Status::error("failed"));
    assert_eq!(span.event_count("exception"), 1);
    let (_, spans) = capture_async(|| fallible(false)).await;
    assert_eq!(spans.named("fallible").status, Status::Unset);
}

#[traced]
fn returns_future(n: u64) -> impl Future<Output = Result<u64, Failed>> + Send {
    async move {
        let n = child(n).await;
        if n == 0 { Err(Failed) } else { Ok(n) }
    }
}

#[tokio::test]
async fn a_function_returning_impl_future_is_traced_until_the_future_completes() {
    let (_, spans) = capture_async(|| returns_future(0)).await;
    let span = spans.named("returns_future");
    assert_eq!(span.status, Status::error("failed"));
    assert!(spans.is_child_of(spans.named("child"), span));
}

#[traced]
fn boxed_future<'a>(label: &'a str) -> Pin<Box<dyn Future<Output = usize> + Send + 'a>> {
    Box::pin(async move {
        child(1).await;
        label.len()
    })
}

#[tokio::test]
async fn a_function_returning_a_boxed_future_is_traced_until_the_future_completes() {
    let (len, spans) = capture_async(|| boxed_future("abc")).await;
    assert_eq!(len, 3);
    assert!(spans.is_child_of(spans.named("child"), spans.named("boxed_future")));
}

#[async_trait::async_trait]
trait Store {
    async fn load(&self, key: &str) -> Result<String, Failed>;
}

struct Memory;

#[async_trait::async_trait]
impl Store for Memory {
    #[traced]
    async fn load(&self, key: &str) -> Result<String, Failed> {
        child(1).await;
        if key.is_empty() {
            Err(Failed)
        } else {
            Ok(key.to_owned())
        }
    }
}

#[tokio::test]
async fn async_trait_methods_are_traced() {
    let (_, spans) = capture_async(|| async { Memory.load("").await }).await;
    let span = spans.named("load");
    assert_eq!(span.status, Status::error("failed"));
    assert!(spans.is_child_of(spans.named("child"), span));
}

trait Native {
    async fn fetch(&self, id: u32) -> u32;
}

impl Native for Memory {
    #[traced]
    async fn fetch(&self, id: u32) -> u32 {
        child(u64::from(id)).await;
        id
    }
}

#[tokio::test]
async fn native_async_fn_in_traits_is_traced() {
    let (_, spans) = capture_async(|| Memory.fetch(5)).await;
    assert_eq!(spans.named("fetch").attr("id"), Some(&Value::I64(5)));
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn a_send_future_stays_send() {
    assert_send(&parent("x"));
    assert_send(&fallible(true));
    assert_send(&returns_future(1));
}

struct Guard<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[traced]
async fn holds(_: Guard<'_>, _unused: Guard<'_>) {
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn unused_arguments_live_until_the_future_completes() {
    let first = std::sync::atomic::AtomicBool::new(false);
    let second = std::sync::atomic::AtomicBool::new(false);
    let future = holds(Guard(&first), Guard(&second));
    assert!(!first.load(std::sync::atomic::Ordering::SeqCst));
    assert!(!second.load(std::sync::atomic::Ordering::SeqCst));
    future.await;
    assert!(first.load(std::sync::atomic::Ordering::SeqCst));
    assert!(second.load(std::sync::atomic::Ordering::SeqCst));
}

#[traced]
async fn item_path() -> &'static str {
    struct Local;
    std::any::type_name::<Local>()
}

async fn item_path_plain() -> &'static str {
    struct Local;
    std::any::type_name::<Local>()
}

#[tokio::test]
async fn items_in_an_async_body_keep_their_paths() {
    let traced = item_path().await;
    let plain = item_path_plain().await;
    assert_eq!(traced.replace("item_path::", "item_path_plain::"), plain);
}

#[traced]
async fn destructured((count, _): (u8, Guard<'_>), Pair { left, _held: _ }: Pair<'_>) -> u8 {
    tokio::task::yield_now().await;
    count + left
}

struct Pair<'a> {
    left: u8,
    _held: Guard<'a>,
}

#[tokio::test]
async fn ignored_parts_of_destructured_arguments_live_until_the_future_completes() {
    let first = std::sync::atomic::AtomicBool::new(false);
    let second = std::sync::atomic::AtomicBool::new(false);
    let (sum, spans) = capture_async(|| async {
        let future = destructured(
            (1, Guard(&first)),
            Pair {
                left: 2,
                _held: Guard(&second),
            },
        );
        assert!(!first.load(std::sync::atomic::Ordering::SeqCst));
        assert!(!second.load(std::sync::atomic::Ordering::SeqCst));
        future.await
    })
    .await;
    assert_eq!(sum, 3);
    assert!(first.load(std::sync::atomic::Ordering::SeqCst));
    assert!(second.load(std::sync::atomic::Ordering::SeqCst));
    let span = spans.named("destructured");
    assert_eq!(span.attr("count"), Some(&Value::I64(1)));
    assert_eq!(span.attr("left"), Some(&Value::I64(2)));
}
