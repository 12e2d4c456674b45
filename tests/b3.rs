//! B3 (`OTEL_PROPAGATORS=b3` and `b3multi`), cross-checked against the
//! official OpenTelemetry Python B3 propagators (`tests/b3_peer/`): what
//! Rust writes, Python reads as the same span; what Python writes, Rust
//! continues. The test makes the Python environment itself.

#[path = "support/python.rs"]
mod python;
mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};

use http::{HeaderMap, HeaderName, HeaderValue};
use otel_runtime::opentelemetry::trace::TraceContextExt as _;
use python::{tests_dir, venv};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What the Rust side did: the headers it wrote from inside a traced call,
/// that call's IDs, and the span it read from `B3_FROM_PYTHON`.
#[derive(Debug, Deserialize, Serialize)]
struct Rust {
    headers: HashMap<String, String>,
    trace_id: String,
    span_id: String,
    extracted: (String, String),
}

#[otel_runtime::traced]
fn handle() -> (HeaderMap, otel_runtime::SpanIds) {
    let mut headers = HeaderMap::new();
    otel_runtime::propagation::inject(&mut headers);
    (headers, otel_runtime::current_ids().unwrap())
}

/// In a child set up by `init` from the `OTEL_*` variables: continues the
/// headers of `B3_FROM_PYTHON` (none: a new trace) in a traced call, which
/// writes its own.
fn rust_side() -> Rust {
    let _guard = otel_runtime::init().unwrap();
    let sent: HashMap<String, String> =
        serde_json::from_str(&std::env::var("B3_FROM_PYTHON").unwrap_or_else(|_| "{}".into()))
            .unwrap();
    let mut from_python = HeaderMap::new();
    for (name, value) in sent {
        from_python.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    let parent = otel_runtime::propagation::extract(&from_python);
    let remote = parent.span().span_context().clone();
    let (headers, ids) = {
        let _parent = parent.attach();
        handle()
    };
    Rust {
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect(),
        trace_id: ids.trace_id.to_string(),
        span_id: ids.span_id.to_string(),
        extracted: (remote.trace_id().to_string(), remote.span_id().to_string()),
    }
}

/// The Python side: what it read of `headers`, and what it wrote.
fn python_side(python: &std::path::Path, format: &str, headers: &HashMap<String, String>) -> Value {
    let mut peer = Command::new(python)
        .arg(tests_dir("b3_peer").join("b3_peer.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let asked = json!({ "format": format, "headers": headers });
    serde_json::to_writer(peer.stdin.take().unwrap(), &asked).unwrap();
    let output = peer.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "b3_peer.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn b3_headers_go_both_ways_with_the_python_propagators() {
    let rust = support::child(rust_side);
    let python = venv(
        "b3-peer-venv",
        &[tests_dir("b3_peer").join("requirements.txt")],
    );
    for format in ["b3", "b3multi"] {
        let env = |from_python: &str| -> Rust {
            rust.run(&[
                ("OTEL_PROPAGATORS", format),
                ("OTEL_TRACES_EXPORTER", "console"),
                ("OTEL_METRICS_EXPORTER", "none"),
                ("OTEL_LOGS_EXPORTER", "none"),
                ("B3_FROM_PYTHON", from_python),
            ])
            .returned
        };

        // Rust → Python: a new trace, written in the format asked for
        // only, and read by Python as the traced call's span.
        let first = env("{}");
        let names: Vec<&str> = {
            let mut names: Vec<&str> = first.headers.keys().map(String::as_str).collect();
            names.sort_unstable();
            names
        };
        if format == "b3" {
            assert_eq!(names, ["b3"], "{first:?}");
            assert_eq!(
                first.headers["b3"],
                format!("{}-{}-1", first.trace_id, first.span_id)
            );
        } else {
            assert_eq!(
                names,
                ["x-b3-sampled", "x-b3-spanid", "x-b3-traceid"],
                "{first:?}"
            );
        }
        let read = python_side(&python, format, &first.headers);
        assert_eq!(read["valid"], true, "{format}: {read}");
        assert_eq!(read["trace_id"], first.trace_id.as_str(), "{format}");
        assert_eq!(read["span_id"], first.span_id.as_str(), "{format}");
        assert_eq!(read["sampled"], true, "{format}");

        // Python → Rust: Python's span is the traced call's parent.
        let written = serde_json::to_string(&read["headers"]).unwrap();
        let second = env(&written);
        let python_trace = "0af7651916cd43dd8448eb211c80319c";
        assert_eq!(
            second.extracted,
            (python_trace.to_owned(), "b7ad6b7169203331".to_owned()),
            "{format}: {written}"
        );
        assert_eq!(second.trace_id, python_trace, "{format}");
        assert_ne!(second.span_id, "b7ad6b7169203331");
    }
}
