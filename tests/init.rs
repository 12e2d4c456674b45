//! `otel_runtime::init`: one line in `main`, configured by the `OTEL_*`
//! variables, and every finished span printed (or exported) when the guard
//! drops.
//!
//! `init` sets process-wide state, so each case runs this test binary again
//! as a child process (`child` below, selected by `OTEL_RUNTIME_CHILD`) and
//! looks at what it printed.

#[path = "support/keep.rs"]
mod keep;
mod support;

use otel_runtime::traced;
use support::{child_role, run_child};

#[traced]
fn request(id: u32) -> u32 {
    db_query(id) + 1
}

#[traced]
fn db_query(id: u32) -> u32 {
    id * 2
}

#[traced]
async fn async_request(id: u32) -> u32 {
    tokio::task::yield_now().await;
    db_query(id)
}

/// Formats as much text as it is asked for, and counts how much that was.
struct Endless;

static ENDLESS_WRITTEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl std::fmt::Debug for Endless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for _ in 0..1_000_000 {
            f.write_str("ab")?;
            ENDLESS_WRITTEN.fetch_add(2, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
}

#[traced]
fn describe(text: &str, endless: Endless) -> usize {
    otel_runtime::set_attribute("note", "é".repeat(20));
    text.len() + std::mem::size_of_val(&endless)
}

/// The headers the installed propagator writes for a request made here,
/// in a trace and with baggage.
#[traced]
fn outgoing_headers() -> Vec<String> {
    use otel_runtime::opentelemetry::baggage::BaggageExt as _;
    use otel_runtime::opentelemetry::{Context, KeyValue, global};

    let cx = Context::current().with_baggage([KeyValue::new("user", "42")]);
    let mut headers = std::collections::HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut headers));
    let mut names: Vec<String> = headers.into_keys().collect();
    names.sort();
    names
}

/// The span ID current inside a traced call.
#[traced]
fn current_span_id() -> String {
    use otel_runtime::opentelemetry::Context;
    use otel_runtime::opentelemetry::trace::TraceContextExt as _;
    Context::current()
        .span()
        .span_context()
        .span_id()
        .to_string()
}

/// A context whose remote parent did not sample its trace.
fn unsampled_parent() -> otel_runtime::opentelemetry::Context {
    use otel_runtime::opentelemetry::Context;
    use otel_runtime::opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(7),
        SpanId::from(9),
        TraceFlags::default(),
        true,
        TraceState::default(),
    ))
}

/// The child: what `OTEL_RUNTIME_CHILD` names.
#[test]
fn child() {
    let Some(role) = child_role() else {
        return;
    };
    match role.as_str() {
        "sync" => {
            let guard = otel_runtime::init().expect("the first init succeeds");
            let second = otel_runtime::init().expect_err("a second init is refused");
            println!("second init: {second}");
            for id in 0..3 {
                request(id);
            }
            drop(guard);
        }
        "async" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let _guard = otel_runtime::init().unwrap();
                for id in 0..3 {
                    async_request(id).await;
                }
                // The guard drops here, inside async code on a current-thread
                // runtime: it must neither hang nor lose spans.
            });
        }
        "limits" => {
            let guard = otel_runtime::init().unwrap();
            describe(&"x".repeat(100), Endless);
            drop(guard);
            println!(
                "formatted: {}",
                ENDLESS_WRITTEN.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
        "propagator" | "propagator-from-env" => {
            use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;

            let mut builder = otel_runtime::builder().no_exporter();
            if role == "propagator" {
                builder = builder.propagator(TraceContextPropagator::new());
            }
            let guard = builder.init().unwrap();
            println!("headers: {:?}", outgoing_headers());
            drop(guard);
        }
        "unsampled-parent" | "unsampled-parent-always-on" => {
            use otel_runtime::opentelemetry_sdk::trace::Sampler;
            let mut builder = otel_runtime::builder().exporter(otel_runtime::ExporterKind::Console);
            if role == "unsampled-parent-always-on" {
                builder = builder.sampler(Sampler::AlwaysOn);
            }
            let guard = builder.init().unwrap();
            let _parent = unsampled_parent().attach();
            println!("current span: {}", current_span_id());
            drop(guard);
        }
        // Root calls, each printing the `traceparent` it would send.
        "roots" => {
            let guard = otel_runtime::builder()
                .exporter(otel_runtime::ExporterKind::Console)
                .init()
                .unwrap();
            for id in 0..200 {
                println!("sends: {}", traceparent_sent(id));
            }
            drop(guard);
        }
        "exporter-in-code" => exporter_in_code(),
        "batch-settings" => batch_settings(),
        "dropped-roots-then-replaced" => {
            // Every root dropped by `init`'s sampler (`always_off`), which
            // decides roots before anything is made; then a provider that
            // keeps them, installed straight through `opentelemetry::global`.
            let guard = otel_runtime::builder().no_exporter().init().unwrap();
            request(0);
            let replacement = keep::Keep::default();
            // Its sampler in code: the SDK would read `always_off` too.
            let provider = otel_runtime::opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_sampler(otel_runtime::opentelemetry_sdk::trace::Sampler::AlwaysOn)
                .with_span_processor(replacement.clone())
                .build();
            otel_runtime::opentelemetry::global::set_tracer_provider(provider);
            // Root calls only: a child of a dropped root would reach the
            // replacement (whose sampler ignores the parent) either way.
            let calls = calls_until_used(&replacement, db_query);
            println!("calls until the replacement was used: {calls}");
            drop(guard);
        }
        other => panic!("unknown child role {other}"),
    }
}

/// An exporter that keeps what it is given, batch by batch.
#[derive(Debug, Clone, Default)]
struct Exported(
    std::sync::Arc<std::sync::Mutex<Vec<Vec<otel_runtime::opentelemetry_sdk::trace::SpanData>>>>,
);

impl Exported {
    /// Every span exported so far, in the order they came.
    fn spans(&self) -> Vec<otel_runtime::opentelemetry_sdk::trace::SpanData> {
        self.0.lock().unwrap().concat()
    }

    /// The size of each batch so far.
    fn sizes(&self) -> Vec<usize> {
        self.0.lock().unwrap().iter().map(Vec::len).collect()
    }
}

impl otel_runtime::opentelemetry_sdk::trace::SpanExporter for Exported {
    async fn export(
        &self,
        batch: Vec<otel_runtime::opentelemetry_sdk::trace::SpanData>,
    ) -> otel_runtime::opentelemetry_sdk::error::OTelSdkResult {
        self.0.lock().unwrap().push(batch);
        Ok(())
    }
}

/// Spans to an exporter given in code, there once flushed; then a provider
/// installed over `init`'s straight through `opentelemetry::global`.
fn exporter_in_code() {
    use otel_runtime::opentelemetry::KeyValue;

    let exported = Exported::default();
    let guard = otel_runtime::builder()
        .span_exporter(exported.clone())
        .init()
        .unwrap();
    request(1);
    guard.flush().unwrap();
    let spans = exported.spans();
    let names: Vec<_> = spans.iter().map(|span| span.name.to_string()).collect();
    println!("exported once flushed: {names:?}");
    if let [query, request] = spans.as_slice() {
        let child = query.parent_span_id == request.span_context.span_id()
            && query.span_context.trace_id() == request.span_context.trace_id();
        println!("db_query is the child of request: {child}");
        let id = KeyValue::new("id", 1_i64);
        println!("id recorded: {}", request.attributes.contains(&id));
        println!("scope: {}", request.instrumentation_scope.name());
    }

    let replacement = keep::Keep::default();
    otel_runtime::opentelemetry::global::set_tracer_provider(replacement.provider());
    let calls = calls_until_used(&replacement, request);
    println!("calls until the replacement was used: {calls}");
    drop(guard);
    println!("exported in all: {}", exported.spans().len());
}

/// Spans to an exporter in code, with the `OTEL_BSP_*` settings of the
/// parent; waits, without a flush, until all have been exported.
fn batch_settings() {
    let batches = Exported::default();
    let guard = otel_runtime::builder()
        .span_exporter(batches.clone())
        .init()
        .unwrap();
    let exported = || batches.sizes().iter().sum::<usize>();
    let wait_for = |spans: usize| {
        let waited = std::time::Instant::now();
        while exported() < spans && waited.elapsed() < std::time::Duration::from_secs(3) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    // 2 spans, fewer than a batch: only the delay sends them.
    request(0);
    wait_for(2);
    println!("exported after the delay: {}", exported());
    // 8 more: full batches go as soon as they are full.
    for id in 1..5 {
        request(id);
    }
    wait_for(10);
    println!("exported without a flush: {}", exported());
    println!("batch sizes: {:?}", batches.sizes());
    drop(guard);
}

/// How many calls of `call` it takes until `replacement` gets a span.
fn calls_until_used(replacement: &keep::Keep, call: fn(u32) -> u32) -> u32 {
    (1..=2000)
        .find(|&n| {
            call(n);
            replacement.count() > 0
        })
        .expect("the replacement was never used")
}

/// The number printed after `label` by a child.
fn printed_number(stdout: &str, label: &str) -> u32 {
    stdout
        .split(label)
        .nth(1)
        .and_then(|rest| rest.lines().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in: {stdout}"))
}

/// The `traceparent` that a request made inside this call (and inside a
/// child call) would carry.
#[traced]
fn traceparent_sent(id: u32) -> String {
    let outer = outgoing_traceparent();
    let inner = request_with_traceparent(id);
    assert_eq!(outer[3..35], inner[3..35], "one trace: {outer} {inner}");
    assert_eq!(outer[52..], inner[52..], "one decision: {outer} {inner}");
    outer
}

#[traced]
fn request_with_traceparent(id: u32) -> String {
    db_query(id);
    outgoing_traceparent()
}

fn outgoing_traceparent() -> String {
    let mut headers = std::collections::HashMap::new();
    otel_runtime::propagation::inject_context(
        &otel_runtime::opentelemetry::Context::current(),
        &mut headers,
    );
    headers.remove("traceparent").unwrap_or_default()
}

/// Header lines: `trace <id>  <duration>  <n> spans` (libtest may print
/// its own `test child ... ` in front of the first).
fn traces_printed(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|line| line.contains("trace ") && line.ends_with(" spans"))
        .count()
}

#[test]
fn with_nothing_configured_every_trace_is_printed_when_the_guard_drops() {
    let stdout = run_child("sync", &[]).stdout;
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
    assert_eq!(stdout.matches("└─ db_query").count(), 3, "{stdout}");
    assert!(
        stdout.contains("second init: otel_runtime::init was already called"),
        "{stdout}"
    );
}

#[test]
fn an_async_program_loses_nothing_either() {
    let stdout = run_child("async", &[]).stdout;
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
}

#[test]
fn otel_sdk_disabled_turns_everything_off() {
    let stdout = run_child("sync", &[("OTEL_SDK_DISABLED", "true")]).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn the_none_exporter_prints_nothing() {
    let stdout = run_child("sync", &[("OTEL_TRACES_EXPORTER", "none")]).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn a_bad_value_is_reported_by_name_and_value_and_changes_nothing_else() {
    let printed = run_child(
        "sync",
        &[
            ("OTEL_TRACES_SAMPLER_ARG", "lots"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ],
    );
    let (stdout, stderr) = (printed.stdout, printed.stderr);
    assert!(
        stderr.contains("otel_runtime: OTEL_TRACES_SAMPLER_ARG=\"lots\": expected a number from 0 to 1; using 1.0"),
        "{stderr}"
    );
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
}

#[test]
fn the_ratio_sampler_keeps_none_at_zero() {
    let stdout = run_child(
        "sync",
        &[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ],
    )
    .stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn text_values_are_cut_to_the_length_limit_without_formatting_more() {
    let stdout = run_child("limits", &[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5")]).stdout;
    // Arguments, `Debug` text and values set by hand alike, counted in
    // characters, not bytes.
    for kept in ["text = xxxxx\n", "endless = ababa\n", "note = ééééé\n"] {
        assert!(stdout.contains(kept), "{kept:?} in {stdout}");
    }
    // `Endless` was stopped after the limit, not formatted whole (2 MB).
    assert!(stdout.contains("formatted: 4\n"), "{stdout}");
}

#[test]
fn the_count_limits_reach_the_sdk() {
    let stdout = run_child("limits", &[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "0")]).stdout;
    assert!(stdout.contains("6 more attributes dropped"), "{stdout}");
    assert!(!stdout.contains("text ="), "{stdout}");
}

#[test]
fn a_propagator_set_in_code_replaces_the_environments() {
    let env = [("OTEL_PROPAGATORS", "baggage")];
    let stdout = run_child("propagator-from-env", &env).stdout;
    assert!(stdout.contains("headers: [\"baggage\"]"), "{stdout}");
    // The code's W3C trace context only: no baggage header, although the
    // context has baggage and the environment asks for it.
    let stdout = run_child("propagator", &env).stdout;
    assert!(
        stdout.contains("headers: [\"traceparent\", \"tracestate\"]"),
        "{stdout}"
    );
    let stdout = run_child("propagator-from-env", &[]).stdout;
    assert!(
        stdout.contains("headers: [\"baggage\", \"traceparent\", \"tracestate\"]"),
        "{stdout}"
    );
}

#[test]
fn under_an_unsampled_parent_a_parent_based_sampler_makes_no_span_at_all() {
    // The default sampler follows the parent: the call runs in the parent's
    // context, as the SDK's span would have been dropped anyway.
    let stdout = run_child("unsampled-parent", &[]).stdout;
    assert!(
        stdout.contains("current span: 0000000000000009"),
        "{stdout}"
    );
    assert!(!stdout.contains("trace 0000"), "{stdout}");
    // A sampler that ignores the parent still gets its span, recorded.
    let stdout = run_child("unsampled-parent-always-on", &[]).stdout;
    assert!(
        !stdout.contains("current span: 0000000000000009"),
        "{stdout}"
    );
    assert!(stdout.contains("  1 span\n"), "{stdout}");
}

/// An exporter given in code gets every span, with its parent, as soon as
/// the guard is flushed, and nothing is printed. Spans that `#[traced]` makes
/// directly for `init`'s provider stop once a provider is installed over it
/// straight through `opentelemetry::global` (within 1,024 calls, as with any
/// provider installed that way).
#[test]
fn an_exporter_in_code_gets_every_span_once_flushed() {
    let stdout = run_child("exporter-in-code", &[]).stdout;
    assert!(
        stdout.contains(r#"exported once flushed: ["db_query", "request"]"#),
        "{stdout}"
    );
    assert!(
        stdout.contains("db_query is the child of request: true"),
        "{stdout}"
    );
    assert!(stdout.contains("id recorded: true"), "{stdout}");
    assert!(stdout.contains("scope: otel-workspace"), "{stdout}");
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
    let calls = printed_number(&stdout, "calls until the replacement was used: ");
    assert!(calls <= 1025, "{calls} calls");
    // Both spans of each call before the replacement, none after; the last
    // call's first span too when the thread looked again at its second.
    let exported = printed_number(&stdout, "exported in all: ");
    assert!((2 * calls - 1..=2 * calls).contains(&exported), "{stdout}");
}

/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` and `OTEL_BSP_SCHEDULE_DELAY` reach
/// `init`'s batch processor: 2 spans go out after the delay, and 8 more in
/// batches of at most 3, all without a flush (with the defaults, 5 s and
/// 512, nothing would go out within the 3 s that the child waits).
#[test]
fn the_batch_size_and_the_delay_reach_the_batch_processor() {
    let stdout = run_child(
        "batch-settings",
        &[
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "3"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .stdout;
    assert!(stdout.contains("exported after the delay: 2"), "{stdout}");
    assert!(stdout.contains("exported without a flush: 10"), "{stdout}");
    let sizes = stdout
        .lines()
        .find_map(|line| line.strip_prefix("batch sizes: "))
        .expect("the child printed its batch sizes");
    let sizes: Vec<usize> = sizes
        .trim_matches(['[', ']'])
        .split(", ")
        .map(|size| size.parse().unwrap())
        .collect();
    assert!(sizes.iter().all(|&size| size <= 3), "{sizes:?}");
    assert!(sizes.contains(&3), "{sizes:?}");
}

/// `init`'s sampler decides roots before anything of them is made, but only
/// while the global provider is `init`'s: a provider installed over it
/// straight through `opentelemetry::global` gets the roots that `init`'s
/// sampler would drop within 1,024 calls, as with any provider installed
/// that way.
#[test]
fn roots_dropped_by_inits_sampler_reach_a_provider_installed_over_it() {
    let stdout = run_child(
        "dropped-roots-then-replaced",
        &[("OTEL_TRACES_SAMPLER", "always_off")],
    )
    .stdout;
    let calls = printed_number(&stdout, "calls until the replacement was used: ");
    assert!(calls <= 1025, "{calls} calls");
}

/// A root span that the sampler drops still has a trace of its own, which
/// its children share and outgoing requests carry, marked not sampled;
/// whichever way it is decided (`init` decides a root before the SDK is
/// asked when the sampler looks at the trace ID alone).
#[test]
fn dropped_roots_still_carry_their_own_trace_and_the_decision() {
    for (sampler, ratio) in [
        ("always_off", "1"),
        ("parentbased_always_off", "1"),
        ("traceidratio", "0.5"),
        ("parentbased_traceidratio", "0.5"),
        ("always_on", "1"),
    ] {
        let stdout = run_child(
            "roots",
            &[
                ("OTEL_TRACES_SAMPLER", sampler),
                ("OTEL_TRACES_SAMPLER_ARG", ratio),
            ],
        )
        .stdout;
        let sent: Vec<&str> = stdout
            .lines()
            .filter_map(|line| line.split("sends: ").nth(1))
            .collect();
        assert_eq!(sent.len(), 200, "{sampler}: {stdout}");
        let traces: std::collections::HashSet<&str> =
            sent.iter().map(|header| &header[3..35]).collect();
        assert_eq!(traces.len(), 200, "{sampler}: a trace per root");
        assert!(
            sent.iter().all(|header| header.len() == 55
                && header.starts_with("00-")
                && !header.contains("-00000000000000000000000000000000-")
                && !header.contains("-0000000000000000-")),
            "{sampler}: {sent:?}"
        );
        let kept = sent.iter().filter(|header| header.ends_with("-01")).count();
        // Every kept root is printed, with its three spans.
        assert_eq!(traces_printed(&stdout), kept, "{sampler}: {stdout}");
        assert_eq!(stdout.matches("  3 spans").count(), kept, "{sampler}");
        match ratio {
            "1" if sampler.ends_with("always_on") => assert_eq!(kept, 200),
            "1" => assert_eq!(kept, 0, "{sampler}"),
            // Half, give or take what chance allows in 200 draws.
            _ => assert!((60..=140).contains(&kept), "{sampler}: {kept} kept"),
        }
    }
}
