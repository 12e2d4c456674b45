//! Work handed to another thread or task runs in the spawner's context
//! when it is wrapped: `with_current_context(f)` for a closure,
//! `fut.with_current_context()` for a future.

use otel_runtime::FutureExt as _;
use otel_runtime::testing::{capture, capture_async};
use otel_runtime::traced;

#[traced]
fn work(n: u32) -> u32 {
    n * 2
}

#[traced]
fn spawn_wrapped() -> u32 {
    std::thread::spawn(otel_runtime::with_current_context(|| work(1)))
        .join()
        .unwrap()
}

#[traced]
fn spawn_bare() -> u32 {
    std::thread::spawn(|| work(1)).join().unwrap()
}

#[test]
fn a_wrapped_closure_runs_in_the_spawning_span_on_its_thread() {
    let (_, spans) = capture(spawn_wrapped);
    assert!(spans.is_child_of(spans.named("work"), spans.named("spawn_wrapped")));
}

#[test]
fn a_bare_closure_loses_the_trace() {
    let (_, spans) = capture(spawn_bare);
    assert!(
        spans.find("work").is_none(),
        "its span began a trace of its own"
    );
}

#[test]
fn scoped_threads_too() {
    let (_, spans) = capture(|| {
        std::thread::scope(|scope| {
            scope.spawn(otel_runtime::with_current_context(|| work(2)));
        })
    });
    assert!(spans.is_top_level(spans.named("work")));
}

#[traced]
async fn step(n: u32) -> u32 {
    n + 1
}

#[traced]
async fn spawn_task(wrapped: bool) -> u32 {
    let task = async { step(1).await };
    let handle = if wrapped {
        tokio::spawn(task.with_current_context())
    } else {
        tokio::spawn(task)
    };
    handle.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_task_runs_in_the_spawning_span_when_wrapped() {
    let (_, spans) = capture_async(|| spawn_task(true)).await;
    assert!(spans.is_child_of(spans.named("step"), spans.named("spawn_task")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_spawned_task_loses_the_trace() {
    let (_, spans) = capture_async(|| spawn_task(false)).await;
    assert!(spans.find("step").is_none());
}
