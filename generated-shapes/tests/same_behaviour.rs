//! Every generated case (see `grammar.rs`) behaves the same plain and
//! traced: on each input, the same value or the same panic. The span of the
//! traced call exists once, records the arguments, and says what happened:
//! status Error exactly for a panic or a recorded `Err`, and the value with
//! `ret`.
//!
//! The generated code compiles here under `deny(warnings)`, so an expansion
//! that draws a warning fails too. (Clippy's lints are allowed: the plain
//! code is generated, not written to please clippy; `tests/no_warnings.rs`
//! at the root checks expansions under clippy.)
#![deny(warnings)]
#![allow(clippy::all)]

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Poll;

use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::testing::{SpanDataExt, capture};

/// One generated case: its function, plain and traced, behind `run`.
pub struct Case {
    pub index: usize,
    /// Calls the traced (`true`) or plain function (and, for a future,
    /// awaits it; for a closure, calls it), and formats what it returns.
    pub run: fn(bool, u8, &str) -> String,
    pub returns_result: bool,
    /// Whether the span sees the outcome: not where `f` returns a closure,
    /// whose calls happen after its span ended.
    pub records_outcome: bool,
    pub err_off: bool,
    pub ret: bool,
    pub skip_s: bool,
    pub source: &'static str,
}

// What the generated bodies call, by `crate::` paths.

pub fn consume(_: u8) {}

pub fn check(v: u8) -> Result<u8, String> {
    if v == 13 {
        Err("thirteen".to_owned())
    } else {
        Ok(v)
    }
}

pub fn ready(v: u8) -> Poll<Result<u8, String>> {
    match v % 5 {
        0 => Poll::Pending,
        1 => Poll::Ready(Err(format!("not ready at {v}"))),
        _ => Poll::Ready(Ok(v)),
    }
}

pub fn fits(s: &str, v: u8) -> Result<u8, Full<&str>> {
    if usize::from(v) < s.len() {
        Err(Full(s))
    } else {
        Ok(v)
    }
}

pub async fn later(v: u8) -> u8 {
    v
}

#[derive(Debug)]
pub enum Error {
    Message(String),
    Parse(std::num::ParseIntError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Message(message) => f.write_str(message),
            Error::Parse(error) => write!(f, "parse: {error}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Message(message)
    }
}

impl From<std::num::ParseIntError> for Error {
    fn from(error: std::num::ParseIntError) -> Self {
        Error::Parse(error)
    }
}

/// An error that may borrow, whose `Error` impl asks `'static`.
#[derive(Debug)]
pub struct Full<T>(pub T);

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("full")
    }
}

impl<T: fmt::Debug + std::any::Any> std::error::Error for Full<T> {}

include!(concat!(env!("OUT_DIR"), "/cases.rs"));

const XS: &[u8] = &[0, 1, 2, 3, 7, 13, 42, 56, 77, 128, 251, 254, 255];
const SS: &[&str] = &["7", "x", ""];

#[test]
fn traced_functions_behave_as_written() {
    // Panics are part of the behaviour compared; their messages would only
    // flood the output.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut runs = 0;
    for case in CASES {
        for &x in XS {
            for &s in SS {
                runs += 1;
                if let Err(why) = same_behaviour(case, x, s) {
                    failures.push(format!(
                        "case {} with x = {x}, s = {s:?}: {why}\n{}",
                        case.index, case.source
                    ));
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    assert!(
        failures.is_empty(),
        "{} of {runs} runs differ; the first:\n\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
    assert!(CASES.len() >= 100, "only {} cases", CASES.len());
}

fn same_behaviour(case: &Case, x: u8, s: &str) -> Result<(), String> {
    let plain = outcome(|| (case.run)(false, x, s));
    let (traced, spans) = capture(|| outcome(|| (case.run)(true, x, s)));
    if plain != traced {
        return Err(format!("plain gave {plain:?}, traced {traced:?}"));
    }
    let named: Vec<_> = spans.all_named("f");
    let [span] = named.as_slice() else {
        return Err(format!("{} spans named f", named.len()));
    };
    if span.attr("x") != Some(&Value::I64(x.into())) {
        return Err(format!("x recorded as {:?}", span.attr("x")));
    }
    let s_recorded = span.attr("s").is_some();
    if s_recorded == case.skip_s {
        return Err(format!(
            "s recorded: {s_recorded}, skipped: {}",
            case.skip_s
        ));
    }
    if !case.records_outcome {
        return Ok(());
    }
    let is_error = matches!(span.status, Status::Error { .. });
    let failed = match &traced {
        Err(_panic) => true,
        Ok(value) => case.returns_result && !case.err_off && value.starts_with("Err("),
    };
    if is_error != failed {
        return Err(format!("outcome {traced:?}, span status {:?}", span.status));
    }
    if let (true, Ok(value)) = (case.ret, &traced) {
        let shown = value
            .strip_prefix("Ok(")
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or(value);
        if let Ok(n) = shown.parse::<i64>() {
            if span.attr("return") != Some(&Value::I64(n)) {
                return Err(format!("return recorded as {:?}", span.attr("return")));
            }
        }
    }
    Ok(())
}

/// What a call returned (formatted), or the message it panicked with.
fn outcome(f: impl FnOnce() -> String) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-text panic>".to_owned())
    })
}
