//! The `tracing` bridge: `tracing` spans and events in the same trees as
//! traced calls, both ways, with typed fields, `otel.*` fields and the
//! `ERROR` rule; and the subscriber `init` installs (in child processes).

mod support;

use std::sync::{Mutex, Once};

use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;
use otel_runtime::testing::{CapturedSpans, SpanDataExt, capture, capture_async};
use otel_runtime::{FutureExt as _, traced};
use support::in_child;
use tracing::instrument;
use tracing_subscriber::layer::SubscriberExt as _;

/// Every test of this binary runs under one global subscriber that has the
/// bridge and lets everything through, `log` records included, as a
/// program that sets up its own subscriber does.
fn bridged() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(otel_runtime::tracing_layer());
        tracing::subscriber::set_global_default(subscriber).unwrap();
        tracing_log::LogTracer::init().unwrap();
    });
}

fn parent_of<'a>(spans: &'a CapturedSpans, child: &str) -> &'a str {
    let child = spans.named(child);
    let parent = spans
        .all()
        .iter()
        .find(|span| span.span_context.span_id() == child.parent_span_id)
        .unwrap_or_else(|| panic!("{} has no parent among {spans:?}", child.name));
    &parent.name
}

#[traced]
fn traced_outer() {
    let _span = tracing::info_span!("library.work").entered();
    traced_inner();
}

#[traced]
fn traced_inner() {
    tracing::info!("inside the inner call");
}

#[test]
fn a_tracing_span_inside_a_traced_call_is_its_child_and_the_other_way_round() {
    bridged();
    let (_, spans) = capture(traced_outer);
    assert_eq!(parent_of(&spans, "library.work"), "traced_outer");
    assert_eq!(parent_of(&spans, "traced_inner"), "library.work");
    assert_eq!(spans.len(), 3, "{spans:?}");
    let scope = &spans.named("library.work").instrumentation_scope;
    assert_eq!(scope.name(), "tracing");
}

#[instrument]
fn instrumented(n: u32) -> u32 {
    traced_leaf(n) + 1
}

#[traced]
fn traced_leaf(n: u32) -> u32 {
    n * 2
}

#[test]
fn a_traced_call_inside_an_instrument_function_is_its_child() {
    bridged();
    let (value, spans) = capture(|| instrumented(4));
    assert_eq!(value, 9);
    assert_eq!(parent_of(&spans, "traced_leaf"), "instrumented");
    // `tracing-opentelemetry` 0.34 records unsigned integers as text (its
    // visitor has no `record_u64`); events' fields, recorded here, are
    // typed (below).
    assert_eq!(
        spans.named("instrumented").attr("n"),
        Some(&Value::from("4"))
    );
}

#[traced]
fn traced_in_the_middle() {
    {
        let _inner = tracing::info_span!("inner.tracing").entered();
        tracing::info!("in the inner span");
    }
    // The `tracing` span around this call is still entered: the event
    // belongs to this call's span all the same.
    tracing::warn!("after the inner span");
}

#[test]
fn an_event_belongs_to_the_innermost_span_of_either_kind() {
    bridged();
    let (_, spans) = capture(|| {
        let _outer = tracing::info_span!("outer.tracing").entered();
        traced_in_the_middle();
    });
    assert_eq!(parent_of(&spans, "traced_in_the_middle"), "outer.tracing");
    assert_eq!(parent_of(&spans, "inner.tracing"), "traced_in_the_middle");
    assert_eq!(
        spans
            .named("inner.tracing")
            .event_count("in the inner span"),
        1
    );
    let middle = spans.named("traced_in_the_middle");
    assert_eq!(middle.event_count("after the inner span"), 1);
    assert_eq!(
        middle.event_attr("after the inner span", "level"),
        Some(&Value::from("WARN"))
    );
    assert_eq!(spans.named("outer.tracing").events.len(), 0);
}

#[traced]
async fn traced_async(n: u64) -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let handle = tokio::spawn(
        async move {
            tracing::info!(n, "spawned");
            n
        }
        .with_current_context(),
    );
    handle.await.unwrap() + 1
}

#[instrument]
async fn instrumented_async(n: u64) -> u64 {
    tokio::task::yield_now().await;
    traced_async(n).await
}

#[test]
fn across_awaits_and_threads_the_tree_holds() {
    bridged();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (value, spans) = runtime.block_on(capture_async(|| instrumented_async(5)));
    assert_eq!(value, 6);
    assert_eq!(parent_of(&spans, "traced_async"), "instrumented_async");
    assert_eq!(spans.named("traced_async").event_count("spawned"), 1);
    assert_eq!(
        spans.named("traced_async").event_attr("spawned", "n"),
        Some(&Value::I64(5))
    );
}

#[test]
fn span_fields_are_typed_attributes_and_otel_fields_are_honoured() {
    bridged();
    let (_, spans) = capture(|| {
        let span = tracing::info_span!(
            "raw name",
            count = 3_i64,
            ratio = 0.5,
            ok = true,
            label = "x",
            list = ?vec![1, 2],
            otel.name = "GET /orders",
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
        );
        let _entered = span.enter();
        span.record("otel.status_code", "error");
    });
    let span = spans.named("GET /orders");
    assert_eq!(span.attr("count"), Some(&Value::I64(3)));
    assert_eq!(span.attr("ratio"), Some(&Value::F64(0.5)));
    assert_eq!(span.attr("ok"), Some(&Value::Bool(true)));
    assert_eq!(span.attr("label"), Some(&Value::from("x")));
    assert_eq!(span.attr("list"), Some(&Value::from("[1, 2]")));
    assert_eq!(span.span_kind, SpanKind::Client);
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );
}

#[traced]
fn charge(user_id: u64) {
    tracing::info!(
        user_id,
        amount = 9.5,
        password = "hunter2",
        password_hash = "h",
        "charged"
    );
}

#[test]
fn event_fields_are_typed_and_secrets_are_redacted() {
    bridged();
    let (_, spans) = capture(|| charge(7));
    let span = spans.named("charge");
    assert_eq!(span.event_attr("charged", "user_id"), Some(&Value::I64(7)));
    assert_eq!(span.event_attr("charged", "amount"), Some(&Value::F64(9.5)));
    for key in ["password", "password_hash"] {
        assert_eq!(
            span.event_attr("charged", key),
            Some(&Value::from("[REDACTED]")),
            "{key}"
        );
    }
    assert_eq!(
        span.event_attr("charged", "target"),
        Some(&Value::from("tracing_bridge"))
    );
    assert_eq!(
        span.event_attr("charged", "code.file.path"),
        Some(&Value::from(file!()))
    );
    assert_eq!(span.status, Status::Unset);
}

#[traced]
fn fails_loudly() {
    tracing::error!(order = 12, "payment declined");
}

#[traced]
fn logs_a_failure() {
    log::error!("ledger unreachable");
}

#[test]
fn an_error_event_marks_its_span_as_failed_as_an_err_does() {
    bridged();
    let (_, spans) = capture(|| {
        fails_loudly();
        logs_a_failure();
        let _span = tracing::info_span!("tracing.fails").entered();
        tracing::error!("disk full");
    });
    for (name, message) in [
        ("fails_loudly", "payment declined"),
        ("logs_a_failure", "ledger unreachable"),
        ("tracing.fails", "disk full"),
    ] {
        let span = spans.named(name);
        assert_eq!(
            span.status,
            Status::Error {
                description: message.into()
            }
        );
        assert_eq!(span.attr("error.type"), None);
        assert_eq!(span.event_count("exception"), 1, "{name}");
        assert_eq!(
            span.event_attr("exception", "exception.message"),
            Some(&Value::from(message))
        );
    }
    assert_eq!(
        spans.named("fails_loudly").event_attr("exception", "order"),
        Some(&Value::I64(12))
    );
}

#[test]
fn an_event_outside_any_span_is_not_an_error() {
    bridged();
    tracing::info!("nowhere");
    tracing::error!("nowhere either");
}

/// What the child's exporter saw: each span's name, its parent's name, and
/// its events' names and targets.
type Seen = Vec<(String, Option<String>, Vec<(String, String)>)>;

static EXPORTED: Mutex<Vec<SpanData>> = Mutex::new(Vec::new());

#[derive(Debug)]
struct Keep;

impl opentelemetry_sdk::trace::SpanExporter for Keep {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        // The exporter's own `tracing` span and event, on the export
        // thread: the bridge must leave them out, or every export would
        // make more to export.
        let _span = tracing::info_span!("inside.exporter").entered();
        tracing::info!(spans = batch.len(), "exporting");
        EXPORTED.lock().unwrap().extend(batch);
        Ok(())
    }
}

fn seen() -> Seen {
    let spans = EXPORTED.lock().unwrap();
    let name_of = |id| {
        spans
            .iter()
            .find(|span| span.span_context.span_id() == id)
            .map(|span| span.name.to_string())
    };
    spans
        .iter()
        .map(|span| {
            (
                span.name.to_string(),
                name_of(span.parent_span_id),
                span.events
                    .iter()
                    .map(|event| {
                        let target = event
                            .attributes
                            .iter()
                            .find(|kv| kv.key.as_str() == "target")
                            .map(|kv| kv.value.to_string())
                            .unwrap_or_default();
                        (event.name.to_string(), target)
                    })
                    .collect(),
            )
        })
        .collect()
}

#[traced]
fn handler() {
    let _debug = tracing::debug_span!("debug.detail").entered();
    let _info = tracing::info_span!("info.step").entered();
    tracing::debug!("a debug event");
    tracing::info!("an info event");
    log::debug!(target: "payments", "a debug log record");
    log::info!(target: "payments", "a log record");
}

/// The names of events, each with its target.
fn events(names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|name| {
            let target = if name.contains("log record") {
                "payments"
            } else {
                "tracing_bridge"
            };
            (name.to_string(), target.to_string())
        })
        .collect()
}

/// In the child: `init` with the exporter above, one request, the guard
/// dropped (which exports), and what was exported.
fn run_handler_under_init() -> Seen {
    let guard = otel_runtime::builder().span_exporter(Keep).init().unwrap();
    handler();
    guard.flush().unwrap();
    // The exporter ran on its thread, under the same global subscriber.
    handler();
    drop(guard);
    seen()
}

fn names(seen: &Seen) -> Vec<&str> {
    let mut names: Vec<&str> = seen.iter().map(|(name, ..)| name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[test]
fn init_installs_a_subscriber_filtered_at_info_by_default() {
    let printed = in_child(&[], run_handler_under_init);
    let seen = printed.returned;
    assert_eq!(names(&seen), ["handler", "info.step"], "{seen:?}");
    let info = seen.iter().find(|(name, ..)| name == "info.step").unwrap();
    // The debug span was left out: its child hangs from the traced call.
    assert_eq!(info.1.as_deref(), Some("handler"));
    assert_eq!(info.2, events(&["an info event", "a log record"]));
    assert_eq!(seen.len(), 4, "two requests, two spans each: {seen:?}");
    assert!(printed.stderr.is_empty(), "{}", printed.stderr);
}

#[test]
fn rust_log_filters_as_env_filter_does_and_a_bad_directive_is_named() {
    let printed = in_child(
        &[("RUST_LOG", "debug,tracing_bridge=bogus=x")],
        run_handler_under_init,
    );
    let seen = printed.returned;
    assert_eq!(
        names(&seen),
        ["debug.detail", "handler", "info.step"],
        "{seen:?}"
    );
    let info = seen.iter().find(|(name, ..)| name == "info.step").unwrap();
    assert_eq!(info.1.as_deref(), Some("debug.detail"));
    assert_eq!(
        info.2,
        events(&[
            "a debug event",
            "an info event",
            "a debug log record",
            "a log record"
        ])
    );
    assert!(
        printed
            .stderr
            .contains("otel_runtime: RUST_LOG: ignoring `tracing_bridge=bogus=x`"),
        "{}",
        printed.stderr
    );
}

#[test]
fn a_subscriber_set_before_init_without_the_layer_is_kept_and_told_about() {
    let printed = in_child(&[], || {
        tracing::subscriber::set_global_default(tracing_subscriber::registry()).unwrap();
        run_handler_under_init()
    });
    assert_eq!(names(&printed.returned), ["handler"]);
    assert!(
        printed
            .stderr
            .contains("a global `tracing` subscriber was set before `init`, without `otel_runtime::tracing_layer()`"),
        "{}",
        printed.stderr
    );
}

#[test]
fn a_logger_set_before_init_is_kept_and_told_about() {
    let printed = in_child(&[], || {
        log::set_boxed_logger(Box::new(NoLogger)).unwrap();
        run_handler_under_init()
    });
    let info = printed
        .returned
        .iter()
        .find(|(name, ..)| name == "info.step")
        .cloned()
        .unwrap();
    assert_eq!(info.2, events(&["an info event"]));
    assert!(
        printed
            .stderr
            .contains("otel_runtime: a `log` logger was set before `init`"),
        "{}",
        printed.stderr
    );
}

struct NoLogger;

impl log::Log for NoLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        false
    }

    fn log(&self, _: &log::Record<'_>) {}

    fn flush(&self) {}
}

#[test]
fn a_subscriber_set_before_init_with_the_layer_bridges_silently() {
    let printed = in_child(&[], || {
        let subscriber = tracing_subscriber::registry().with(otel_runtime::tracing_layer());
        tracing::subscriber::set_global_default(subscriber).unwrap();
        run_handler_under_init()
    });
    // The program's subscriber, without a filter: everything is bridged.
    assert_eq!(
        names(&printed.returned),
        ["debug.detail", "handler", "info.step"]
    );
    assert!(printed.stderr.is_empty(), "{}", printed.stderr);
}

#[test]
fn a_program_may_set_its_subscriber_after_init_when_init_is_told() {
    let printed = in_child(&[], || {
        let guard = otel_runtime::builder()
            .tracing_subscriber(false)
            .span_exporter(Keep)
            .init()
            .unwrap();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new(
                "warn,tracing_bridge=debug",
            ))
            .with(otel_runtime::tracing_layer());
        tracing::subscriber::set_global_default(subscriber).unwrap();
        handler();
        drop(guard);
        seen()
    });
    assert_eq!(
        names(&printed.returned),
        ["debug.detail", "handler", "info.step"]
    );
    assert!(printed.stderr.is_empty(), "{}", printed.stderr);
}
