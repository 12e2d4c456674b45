//! Every `OTEL_*` variable that README.md documents (and the ones
//! `opentelemetry-otlp` and the SDK read themselves), set to values nobody
//! means: empty, blank, garbage, `-1`, numbers past `u64` and at it, and
//! 64 KiB of text. `init` must set tracing up anyway, traced calls must run,
//! dropping the guard must return, and each value that cannot be used must
//! be reported once, by the variable's name and (an excerpt of) its value.
//!
//! `init` never returns an error for a bad value (its only error is a second
//! call): each value falls back to its default, or, for an OTLP endpoint that
//! is not a URL, to printing traces. So every child must return `Ok`.
//!
//! Empty and blank values are treated as unset: no report.

mod support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use otel_runtime::traced;
use support::{Child, closed_port};

#[traced]
fn handle(id: u32, payload: &str) -> usize {
    otel_runtime::set_attribute("note", "x".repeat(300));
    otel_runtime::add_event("step", []);
    lookup(id) + payload.len()
}

#[traced(err)]
fn lookup(id: u32) -> usize {
    id as usize
}

/// The child: `Ok` once `init` has set tracing up, traced calls have run
/// and the guard has dropped; `init`'s error otherwise.
fn init_and_trace() -> Result<(), String> {
    let guard = otel_runtime::init().map_err(|error| error.to_string())?;
    for id in 0..3 {
        handle(id, "payload");
    }
    drop(guard);
    Ok(())
}

/// What a variable holds, which decides which of the hostile values it
/// could still use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `true` or `false`.
    Flag,
    /// Any text at all.
    Text,
    /// A whole number from 0.
    Number,
    /// A number from 0 to 1.
    Ratio,
    /// One or more names from a fixed list.
    Names,
    /// `key=value,…`.
    KeyValues,
    /// A URL.
    Url,
    /// A file's path.
    File,
}

use Kind::*;

/// The variables that need an OTLP exporter to be read at all.
const OTLP: &[(&str, Kind)] = &[
    ("OTEL_EXPORTER_OTLP_ENDPOINT", Url),
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Url),
    ("OTEL_EXPORTER_OTLP_HEADERS", KeyValues),
    ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", KeyValues),
    ("OTEL_EXPORTER_OTLP_COMPRESSION", Names),
    ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", Names),
    ("OTEL_EXPORTER_OTLP_INSECURE", Flag),
    ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", Flag),
    ("OTEL_EXPORTER_OTLP_TIMEOUT", Number),
    ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", Number),
    ("OTEL_EXPORTER_OTLP_CERTIFICATE", File),
    ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", File),
    ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", File),
    ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", File),
    ("OTEL_EXPORTER_OTLP_CLIENT_KEY", File),
    ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", File),
];

/// The others (the protocol ones choose the OTLP exporter themselves).
const GENERAL: &[(&str, Kind)] = &[
    ("OTEL_SDK_DISABLED", Flag),
    ("OTEL_SERVICE_NAME", Text),
    ("OTEL_RESOURCE_ATTRIBUTES", KeyValues),
    ("OTEL_TRACES_EXPORTER", Names),
    ("OTEL_TRACES_SAMPLER", Names),
    ("OTEL_TRACES_SAMPLER_ARG", Ratio),
    ("OTEL_PROPAGATORS", Names),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", Names),
    ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", Names),
    ("OTEL_BSP_SCHEDULE_DELAY", Number),
    ("OTEL_BSP_EXPORT_TIMEOUT", Number),
    ("OTEL_BSP_MAX_QUEUE_SIZE", Number),
    ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", Number),
    ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", Number),
    ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", Number),
    ("OTEL_SPAN_EVENT_COUNT_LIMIT", Number),
    ("OTEL_SPAN_LINK_COUNT_LIMIT", Number),
    ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", Number),
    ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", Number),
    ("OTEL_ATTRIBUTE_COUNT_LIMIT", Number),
    ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", Number),
    ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", Number),
];

const HUGE_LEN: usize = 64 * 1024;

fn values() -> Vec<String> {
    vec![
        String::new(),
        " \t ".to_owned(),
        "%%garbage\u{7f}".to_owned(),
        "-1".to_owned(),
        "99999999999999999999999999".to_owned(),
        u64::MAX.to_string(),
        "x".repeat(HUGE_LEN),
    ]
}

fn is_blank(value: &str) -> bool {
    value.trim().is_empty()
}

/// Whether `value` is one that `variable` can use as it is (so it must not
/// be reported).
fn usable(variable: &str, kind: Kind, value: &str, protocol: &str) -> bool {
    let number = value.parse::<u64>().is_ok();
    match kind {
        Text => true,
        // Kept at most 65,536 (waiting spans hold memory), and at most 64
        // exports in flight (each holds its request): the large numbers
        // here are over both.
        Number
            if variable == "OTEL_BSP_MAX_QUEUE_SIZE"
                || variable == "OTEL_BSP_MAX_CONCURRENT_EXPORTS" =>
        {
            false
        }
        Number => number,
        // A gRPC endpoint may leave out the scheme (`OTEL_EXPORTER_OTLP_INSECURE`
        // says which): a number is then a host name.
        Url => {
            protocol == "grpc"
                && value
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
                && value.len() < 256
        }
        Flag | Ratio | Names | KeyValues | File => false,
    }
}

struct Case {
    variable: &'static str,
    kind: Kind,
    value: String,
    protocol: &'static str,
    env: Vec<(String, String)>,
}

fn cases() -> Vec<Case> {
    // Kept by the process for good: every child connects to it.
    let port = Box::leak(Box::new(closed_port())).port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut cases = Vec::new();
    for value in values() {
        for &(variable, kind) in GENERAL {
            let mut env = vec![(variable.to_owned(), value.clone())];
            if variable == "OTEL_TRACES_SAMPLER_ARG" {
                // Read only by the samplers that take a ratio.
                env.push(("OTEL_TRACES_SAMPLER".into(), "traceidratio".into()));
            }
            if variable.contains("PROTOCOL") {
                env.push(("OTEL_TRACES_EXPORTER".into(), "otlp".into()));
                env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint.clone()));
            }
            cases.push(Case {
                variable,
                kind,
                value: value.clone(),
                protocol: "http/protobuf",
                env,
            });
        }
        for &(variable, kind) in OTLP {
            // The certificates are read by us, whatever the protocol.
            let protocols: &[&'static str] =
                if variable.contains("CERTIFICATE") || variable.contains("KEY") {
                    &["http/protobuf"]
                } else {
                    &["grpc", "http/protobuf"]
                };
            for &protocol in protocols {
                let mut env = vec![
                    (variable.to_owned(), value.clone()),
                    ("OTEL_TRACES_EXPORTER".into(), "otlp".into()),
                    ("OTEL_EXPORTER_OTLP_PROTOCOL".into(), protocol.into()),
                ];
                if !variable.ends_with("ENDPOINT") {
                    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint.clone()));
                }
                cases.push(Case {
                    variable,
                    kind,
                    value: value.clone(),
                    protocol,
                    env,
                });
            }
        }
    }
    cases
}

/// What is wrong with one child's run, if anything.
fn check(child: &Child<Result<(), String>>, case: &Case) -> Result<(), String> {
    let env: Vec<(&str, &str)> = case
        .env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let ended = child.run_until(&env, Duration::from_secs(30));
    let (stdout, stderr) = (&ended.stdout, &ended.stderr);
    let fail = |what: &str| {
        let shown: String = stderr.chars().take(2000).collect();
        Err(format!(
            "{what}\n--- stderr (first 2000 characters) ---\n{shown}"
        ))
    };
    if ended.status.is_none() {
        return fail("still running after 30 s: killed");
    }
    if let Some(Err(error)) = &ended.returned {
        return fail(&format!("init failed: {error}"));
    }
    if !ended.succeeded() {
        return fail(&format!(
            "exited with {:?} before init and the guard's drop finished: {stdout}",
            ended.status
        ));
    }
    // Nothing prints a 64 KiB value whole (nor 1,000 characters of it).
    if stderr.contains(&"x".repeat(1000)) {
        return fail("the huge value is echoed whole");
    }
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains(case.variable))
        .collect();
    let prefix = format!("otel_runtime: {}=", case.variable);
    if is_blank(&case.value) || usable(case.variable, case.kind, &case.value, case.protocol) {
        if !reports.is_empty() {
            return fail(&format!("a usable value is reported: {reports:#?}"));
        }
        return Ok(());
    }
    if reports.len() != 1 || !reports[0].starts_with(&prefix) {
        return fail(&format!(
            "expected one line starting {prefix:?}, found {reports:#?}"
        ));
    }
    let report = reports[0];
    if case.value.len() == HUGE_LEN {
        if report.len() > 1000 || !report.contains("65536 characters") {
            return fail("a huge value is not cut short, with its length, in its report");
        }
    } else {
        let escaped = format!("{:?}", case.value);
        if !report.contains(escaped.trim_matches('"')) {
            return fail(&format!("the report does not show the value {escaped}"));
        }
    }
    Ok(())
}

#[test]
fn every_variable_survives_every_hostile_value_and_reports_it() {
    // The child stops here: the cases are the parent's.
    let child = support::child(init_and_trace);
    let cases = cases();
    let total = cases.len();
    let queue = Mutex::new(cases);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let Some(case) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    if let Err(why) = check(&child, &case) {
                        let shown: String = case.value.chars().take(40).collect();
                        failures.lock().unwrap().push(format!(
                            "{}={:?} ({} bytes) over {}: {why}",
                            case.variable,
                            shown,
                            case.value.len(),
                            case.protocol
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed (in {:?}):\n\n{}",
        failures.len(),
        started.elapsed(),
        failures.join("\n\n")
    );
}
