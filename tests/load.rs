//! Load: a million spans, made as nested traces by OS threads and by Tokio
//! tasks at once, exported over OTLP/HTTP to the receiver of
//! `tests/otlp_receiver/`, arrive exactly once each, every one with its
//! parent: nothing lost, nothing duplicated, no orphan.

#[path = "support/python.rs"]
mod python;
mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use otel_runtime::{export_stats, traced};
use python::{Receiver, SpanIds};

/// Each trace: a root with `FAN_OUT` children with `FAN_OUT` leaves each.
const FAN_OUT: u64 = 3;
const SPANS_PER_TRACE: u64 = 1 + FAN_OUT + FAN_OUT * FAN_OUT;
const THREADS: u64 = 4;
const TASKS: u64 = 64;
/// Traces per thread and per task: together just over a million spans.
const TRACES_EACH: u64 = 1_000_000 / SPANS_PER_TRACE / (THREADS + TASKS) + 1;
const SPANS: u64 = TRACES_EACH * (THREADS + TASKS) * SPANS_PER_TRACE;

#[traced]
fn load_root(trace: u64) -> u64 {
    (0..FAN_OUT).map(|child| load_child(trace, child)).sum()
}

#[traced]
fn load_child(trace: u64, child: u64) -> u64 {
    (0..FAN_OUT)
        .map(|leaf| load_leaf(trace + child, leaf))
        .sum()
}

#[traced]
fn load_leaf(trace: u64, leaf: u64) -> u64 {
    std::hint::black_box(trace ^ leaf)
}

#[traced]
async fn load_root_async(trace: u64) -> u64 {
    let mut sum = 0;
    for child in 0..FAN_OUT {
        sum += load_child_async(trace, child).await;
    }
    sum
}

#[traced]
async fn load_child_async(trace: u64, child: u64) -> u64 {
    let mut sum = 0;
    for leaf in 0..FAN_OUT {
        // Tasks move between worker threads here, spans and all.
        tokio::task::yield_now().await;
        sum += load_leaf(trace + child, leaf);
    }
    sum
}

/// The exporter's queue is a bound, not a buffer for a million spans:
/// makers wait (outside any span) while it is more than half full, so
/// that this test counts deliveries, not drops.
fn wait_for_room() -> bool {
    let stats = export_stats();
    // Saturating: the counts are read one after the other.
    let waiting = (stats.ended).saturating_sub(stats.exported + stats.failed + stats.dropped);
    waiting > QUEUE / 2
}

const QUEUE: u64 = 65_536;

/// The child: a million spans from threads and tasks at once, every one
/// exported.
fn a_million_spans() {
    let guard = otel_runtime::init().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            std::thread::spawn(move || {
                for n in 0..TRACES_EACH {
                    while wait_for_room() {
                        assert!(Instant::now() < deadline, "stuck: {:?}", export_stats());
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    load_root(thread * TRACES_EACH + n);
                }
            })
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                tokio::spawn(async move {
                    for n in 0..TRACES_EACH {
                        while wait_for_room() {
                            assert!(Instant::now() < deadline, "stuck: {:?}", export_stats());
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                        load_root_async((THREADS + task) * TRACES_EACH + n).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    for thread in threads {
        thread.join().unwrap();
    }
    drop(guard);
    let stats = export_stats();
    assert_eq!((stats.ended, stats.dropped, stats.failed), (SPANS, 0, 0));
    assert_eq!(stats.exported, SPANS);
}

#[test]
fn a_million_spans_from_threads_and_tasks_arrive_exactly_once_with_their_parents() {
    let child = support::child(a_million_spans);
    let receiver = Receiver::ids_only("load");
    let endpoint = format!("http://127.0.0.1:{}", receiver.http);
    let queue = QUEUE.to_string();
    let printed = child.run(&[
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", queue.as_str()),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]);
    assert!(
        !printed.stderr.contains("otel_runtime:"),
        "{}",
        printed.stderr
    );
    let spans = receiver.span_ids(SPANS as usize, Duration::from_secs(60));
    assert_eq!(spans.len() as u64, SPANS, "received");
    check_forest(&spans);
}

/// Every span once, every parent present and of the right kind, and
/// every trace one whole tree.
fn check_forest(spans: &[SpanIds]) {
    let by_id: HashMap<&str, &SpanIds> = spans.iter().map(|s| (s.span.as_str(), s)).collect();
    assert_eq!(by_id.len(), spans.len(), "duplicated span ids");
    let mut children: HashMap<&str, u64> = HashMap::new();
    let mut roots = HashSet::new();
    for span in spans {
        let expected_parent = match span.name.as_str() {
            "load_root" | "load_root_async" => None,
            "load_child" => Some("load_root"),
            "load_child_async" => Some("load_root_async"),
            "load_leaf" => Some("load_child or load_child_async"),
            other => panic!("unexpected span {other}"),
        };
        match (&span.parent, expected_parent) {
            (None, None) => assert!(roots.insert(span.trace.as_str()), "two roots"),
            (Some(parent_id), Some(expected)) => {
                let parent = by_id
                    .get(parent_id.as_str())
                    .unwrap_or_else(|| panic!("orphan: {span:?}"));
                assert!(
                    expected.contains(parent.name.as_str()),
                    "{span:?} under {parent:?}"
                );
                assert_eq!(parent.trace, span.trace, "{span:?}");
                *children.entry(parent_id.as_str()).or_default() += 1;
            }
            _ => panic!("wrong parent: {span:?}"),
        }
    }
    assert_eq!(
        roots.len() as u64,
        TRACES_EACH * (THREADS + TASKS),
        "traces"
    );
    for (parent, count) in children {
        assert_eq!(count, FAN_OUT, "children of {parent}");
    }
}
