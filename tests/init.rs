//! `otel_runtime::init`: one line in `main`, configured by the `OTEL_*`
//! variables, and every finished span printed (or exported) when the guard
//! drops.
//!
//! `init` sets process-wide state, so each case runs its program in a child
//! process of this test binary (`support::in_child`) and looks at what it
//! printed and returned.

#[path = "support/keep.rs"]
mod keep;
mod support;

use otel_runtime::traced;
use serde::{Deserialize, Serialize};
use support::in_child;

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

/// Header lines: `trace <id>  <duration>  <n> spans` (libtest may print
/// its own `test … ` in front of the first).
fn traces_printed(stdout: &str) -> usize {
    stdout
        .lines()
        .filter(|line| line.contains("trace ") && line.ends_with(" spans"))
        .count()
}

/// The child's side of [`in_child`] runs only in the child, and all of it
/// there; the test's own side only here: the child's code never runs in
/// this process, and this side never in the child (where it would find
/// itself a child, and run no further than `in_child`).
#[test]
fn a_child_runs_its_own_case_and_nothing_else() {
    static RAN_HERE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let printed = in_child(&[], || {
        RAN_HERE.store(true, std::sync::atomic::Ordering::Relaxed);
        println!("the child's code ran");
        std::process::id()
    });
    assert!(!support::in_a_child(), "the test's side ran in its child");
    assert!(!RAN_HERE.load(std::sync::atomic::Ordering::Relaxed));
    assert_ne!(printed.returned, std::process::id());
    // One test in the child, this one, which ran to the end of its code.
    assert!(
        printed.stdout.contains("running 1 test\n"),
        "{}",
        printed.stdout
    );
    assert!(
        printed.stdout.contains(&format!(
            "test {} ... ",
            std::thread::current().name().unwrap()
        )),
        "{}",
        printed.stdout
    );
    assert!(printed.stdout.contains("the child's code ran\n"));
    assert!(
        !printed.stdout.contains("test result:"),
        "{}",
        printed.stdout
    );
}

/// A program that calls `init` twice (the second call is refused, and its
/// error returned) and makes 3 traces of 2 spans.
fn three_traces() -> String {
    let guard = otel_runtime::init().expect("the first init succeeds");
    let second = otel_runtime::init().expect_err("a second init is refused");
    for id in 0..3 {
        request(id);
    }
    drop(guard);
    second.to_string()
}

#[test]
fn with_nothing_configured_every_trace_is_printed_when_the_guard_drops() {
    let printed = in_child(&[], three_traces);
    let stdout = &printed.stdout;
    assert_eq!(traces_printed(stdout), 3, "{stdout}");
    assert_eq!(stdout.matches("└─ db_query").count(), 3, "{stdout}");
    assert!(
        printed
            .returned
            .starts_with("otel_runtime::init was already called"),
        "{}",
        printed.returned
    );
}

#[test]
fn an_async_program_loses_nothing_either() {
    let stdout = in_child(&[], || {
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
    })
    .stdout;
    assert_eq!(traces_printed(&stdout), 3, "{stdout}");
}

#[test]
fn otel_sdk_disabled_turns_everything_off() {
    let stdout = in_child(&[("OTEL_SDK_DISABLED", "true")], three_traces).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn the_none_exporter_prints_nothing() {
    let stdout = in_child(&[("OTEL_TRACES_EXPORTER", "none")], three_traces).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
}

#[test]
fn a_bad_value_is_reported_by_name_and_value_and_changes_nothing_else() {
    let printed = in_child(
        &[
            ("OTEL_TRACES_SAMPLER_ARG", "lots"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ],
        three_traces,
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
    let env = [
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0"),
    ];
    let stdout = in_child(&env, three_traces).stdout;
    assert_eq!(traces_printed(&stdout), 0, "{stdout}");
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

/// One span with long text values; returns how much of `Endless` was
/// formatted.
fn long_values() -> usize {
    let guard = otel_runtime::init().unwrap();
    describe(&"x".repeat(100), Endless);
    drop(guard);
    ENDLESS_WRITTEN.load(std::sync::atomic::Ordering::Relaxed)
}

#[test]
fn text_values_are_cut_to_the_length_limit_without_formatting_more() {
    let printed = in_child(&[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5")], long_values);
    let stdout = &printed.stdout;
    // Arguments, `Debug` text and values set by hand alike, counted in
    // characters, not bytes.
    for kept in ["text = xxxxx\n", "endless = ababa\n", "note = ééééé\n"] {
        assert!(stdout.contains(kept), "{kept:?} in {stdout}");
    }
    // `Endless` was stopped after the limit, not formatted whole (2 MB).
    assert_eq!(printed.returned, 4);
}

#[test]
fn the_count_limits_reach_the_sdk() {
    let stdout = in_child(&[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "0")], long_values).stdout;
    assert!(stdout.contains("6 more attributes dropped"), "{stdout}");
    assert!(!stdout.contains("text ="), "{stdout}");
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

#[test]
fn the_propagators_come_from_the_environment() {
    let headers_written = || {
        let guard = otel_runtime::builder().no_exporter().init().unwrap();
        let headers = outgoing_headers();
        drop(guard);
        headers
    };
    let child = support::child(headers_written);
    let headers = child.run(&[("OTEL_PROPAGATORS", "baggage")]).returned;
    assert_eq!(headers, ["baggage"]);
    let headers = child.run(&[]).returned;
    assert_eq!(headers, ["baggage", "traceparent", "tracestate"]);
}

#[test]
fn a_propagator_set_in_code_replaces_the_environments() {
    let headers = in_child(&[("OTEL_PROPAGATORS", "baggage")], || {
        use otel_runtime::opentelemetry_sdk::propagation::TraceContextPropagator;
        let guard = otel_runtime::builder()
            .no_exporter()
            .propagator(TraceContextPropagator::new())
            .init()
            .unwrap();
        let headers = outgoing_headers();
        drop(guard);
        headers
    })
    .returned;
    // The code's W3C trace context only: no baggage header, although the
    // context has baggage and the environment asks for it.
    assert_eq!(headers, ["traceparent", "tracestate"]);
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

/// Under a remote parent that did not sample its trace, set up by
/// `builder` printing to the console: the span ID current inside a traced
/// call.
fn span_id_under_an_unsampled_parent(builder: otel_runtime::Builder) -> String {
    use otel_runtime::opentelemetry::Context;
    use otel_runtime::opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };
    let guard = builder
        .exporter(otel_runtime::ExporterKind::Console)
        .init()
        .unwrap();
    let parent = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(7),
        SpanId::from(9),
        TraceFlags::default(),
        true,
        TraceState::default(),
    ));
    let _parent = parent.attach();
    let current = current_span_id();
    drop(guard);
    current
}

#[test]
fn under_an_unsampled_parent_a_parent_based_sampler_makes_no_span_at_all() {
    // The default sampler follows the parent: the call runs in the parent's
    // context, as the SDK's span would have been dropped anyway.
    let printed = in_child(&[], || {
        span_id_under_an_unsampled_parent(otel_runtime::builder())
    });
    assert_eq!(printed.returned, "0000000000000009");
    assert!(!printed.stdout.contains("trace 0000"), "{}", printed.stdout);
}

#[test]
fn under_an_unsampled_parent_a_sampler_that_ignores_it_still_records() {
    use otel_runtime::opentelemetry_sdk::trace::Sampler;
    let printed = in_child(&[], || {
        span_id_under_an_unsampled_parent(otel_runtime::builder().sampler(Sampler::AlwaysOn))
    });
    assert_ne!(printed.returned, "0000000000000009");
    assert!(printed.stdout.contains("  1 span\n"), "{}", printed.stdout);
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

/// What an exporter given in code got, from [`exporter_in_code`].
#[derive(Serialize, Deserialize)]
struct FromCode {
    /// The names of the spans exported once flushed.
    flushed: Vec<String>,
    /// Whether those were `db_query` under `request`, in one trace.
    db_query_is_the_child_of_request: bool,
    id_recorded: bool,
    scope: String,
    calls_until_the_replacement_was_used: u32,
    exported_in_all: usize,
}

/// Spans to an exporter given in code, there once flushed; then a provider
/// installed over `init`'s straight through `opentelemetry::global`.
fn exporter_in_code() -> FromCode {
    use otel_runtime::opentelemetry::KeyValue;

    let exported = Exported::default();
    let guard = otel_runtime::builder()
        .span_exporter(exported.clone())
        .init()
        .unwrap();
    request(1);
    guard.flush().unwrap();
    let spans = exported.spans();
    let flushed = spans.iter().map(|span| span.name.to_string()).collect();
    let (child, id_recorded, scope) = match spans.as_slice() {
        [query, request] => (
            query.parent_span_id == request.span_context.span_id()
                && query.span_context.trace_id() == request.span_context.trace_id(),
            request.attributes.contains(&KeyValue::new("id", 1_i64)),
            request.instrumentation_scope.name().to_owned(),
        ),
        _ => (false, false, String::new()),
    };

    let replacement = keep::Keep::default();
    otel_runtime::opentelemetry::global::set_tracer_provider(replacement.provider());
    let calls = calls_until_used(&replacement, request);
    drop(guard);
    FromCode {
        flushed,
        db_query_is_the_child_of_request: child,
        id_recorded,
        scope,
        calls_until_the_replacement_was_used: calls,
        exported_in_all: exported.spans().len(),
    }
}

/// An exporter given in code gets every span, with its parent, as soon as
/// the guard is flushed, and nothing is printed. Spans that `#[traced]` makes
/// directly for `init`'s provider stop once a provider is installed over it
/// straight through `opentelemetry::global` (within 1,024 calls, as with any
/// provider installed that way).
#[test]
fn an_exporter_in_code_gets_every_span_once_flushed() {
    let printed = in_child(&[], exporter_in_code);
    let got = printed.returned;
    assert_eq!(got.flushed, ["db_query", "request"]);
    assert!(got.db_query_is_the_child_of_request);
    assert!(got.id_recorded);
    assert_eq!(got.scope, "otel-workspace");
    assert_eq!(traces_printed(&printed.stdout), 0, "{}", printed.stdout);
    let calls = got.calls_until_the_replacement_was_used;
    assert!(calls <= 1025, "{calls} calls");
    // Both spans of each call before the replacement, none after; the last
    // call's first span too when the thread looked again at its second.
    let exported = got.exported_in_all;
    assert!(
        (2 * calls as usize - 1..=2 * calls as usize).contains(&exported),
        "{exported} exported over {calls} calls"
    );
}

/// What an exporter in code got without a flush, from [`batch_settings`].
#[derive(Serialize, Deserialize)]
struct Batches {
    after_the_delay: usize,
    without_a_flush: usize,
    sizes: Vec<usize>,
}

/// Spans to an exporter in code, with the `OTEL_BSP_*` settings of the
/// parent; waits, without a flush, until all have been exported.
fn batch_settings() -> Batches {
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
        exported()
    };
    // 2 spans, fewer than a batch: only the delay sends them.
    request(0);
    let after_the_delay = wait_for(2);
    // 8 more: full batches go as soon as they are full.
    for id in 1..5 {
        request(id);
    }
    let without_a_flush = wait_for(10);
    let sizes = batches.sizes();
    drop(guard);
    Batches {
        after_the_delay,
        without_a_flush,
        sizes,
    }
}

/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` and `OTEL_BSP_SCHEDULE_DELAY` reach
/// `init`'s batch processor: 2 spans go out after the delay, and 8 more in
/// batches of at most 3, all without a flush (with the defaults, 5 s and
/// 512, nothing would go out within the 3 s that the child waits).
#[test]
fn the_batch_size_and_the_delay_reach_the_batch_processor() {
    let env = [
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "3"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let got = in_child(&env, batch_settings).returned;
    assert_eq!(got.after_the_delay, 2);
    assert_eq!(got.without_a_flush, 10);
    let sizes = got.sizes;
    assert!(sizes.iter().all(|&size| size <= 3), "{sizes:?}");
    assert!(sizes.contains(&3), "{sizes:?}");
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

/// `init`'s sampler decides roots before anything of them is made, but only
/// while the global provider is `init`'s: a provider installed over it
/// straight through `opentelemetry::global` gets the roots that `init`'s
/// sampler would drop within 1,024 calls, as with any provider installed
/// that way.
#[test]
fn roots_dropped_by_inits_sampler_reach_a_provider_installed_over_it() {
    use otel_runtime::opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
    let calls = in_child(&[("OTEL_TRACES_SAMPLER", "always_off")], || {
        // Every root dropped by `init`'s sampler, which decides roots
        // before anything is made; then a provider that keeps them.
        let guard = otel_runtime::builder().no_exporter().init().unwrap();
        request(0);
        let replacement = keep::Keep::default();
        // Its sampler in code: the SDK would read `always_off` too.
        let provider = SdkTracerProvider::builder()
            .with_sampler(Sampler::AlwaysOn)
            .with_span_processor(replacement.clone())
            .build();
        otel_runtime::opentelemetry::global::set_tracer_provider(provider);
        // Root calls only: a child of a dropped root would reach the
        // replacement (whose sampler ignores the parent) either way.
        let calls = calls_until_used(&replacement, db_query);
        drop(guard);
        calls
    })
    .returned;
    assert!(calls <= 1025, "{calls} calls");
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

/// 200 root calls, printed to the console: the `traceparent` each sends.
fn roots() -> Vec<String> {
    let guard = otel_runtime::builder()
        .exporter(otel_runtime::ExporterKind::Console)
        .init()
        .unwrap();
    let sent = (0..200).map(traceparent_sent).collect();
    drop(guard);
    sent
}

/// A root span that the sampler drops still has a trace of its own, which
/// its children share and outgoing requests carry, marked not sampled;
/// whichever way it is decided (`init` decides a root before the SDK is
/// asked when the sampler looks at the trace ID alone).
#[test]
fn dropped_roots_still_carry_their_own_trace_and_the_decision() {
    let child = support::child(roots);
    for (sampler, ratio) in [
        ("always_off", "1"),
        ("parentbased_always_off", "1"),
        ("traceidratio", "0.5"),
        ("parentbased_traceidratio", "0.5"),
        ("always_on", "1"),
    ] {
        let printed = child.run(&[
            ("OTEL_TRACES_SAMPLER", sampler),
            ("OTEL_TRACES_SAMPLER_ARG", ratio),
        ]);
        let (stdout, sent) = (&printed.stdout, &printed.returned);
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
        assert_eq!(traces_printed(stdout), kept, "{sampler}: {stdout}");
        assert_eq!(stdout.matches("  3 spans").count(), kept, "{sampler}");
        match ratio {
            "1" if sampler.ends_with("always_on") => assert_eq!(kept, 200),
            "1" => assert_eq!(kept, 0, "{sampler}"),
            // Half, give or take what chance allows in 200 draws.
            _ => assert!((60..=140).contains(&kept), "{sampler}: {kept} kept"),
        }
    }
}
