//! Arguments no one would choose to record: paths and OS strings that are
//! not UTF-8, a structure nested 2,000 deep, a 10 MB `Debug` text, `Debug`
//! and `Display` that panic or return `fmt::Error`. The call returns what it
//! would untraced, its span ends, and what is recorded is UTF-8 text within
//! the value length limit.
//!
//! The limit (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) is set for the whole
//! process by `init`, so those cases run in a child process, which records
//! into a provider of its own and checks everything itself; the other
//! cases check the exact text without a limit, through `capture`.

#[path = "support/keep.rs"]
mod keep;
mod support;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keep::Keep;
use otel_runtime::opentelemetry::Value;
use otel_runtime::opentelemetry::trace::Status;
use otel_runtime::opentelemetry_sdk::trace::SpanData;
use otel_runtime::testing::{SpanDataExt as _, capture};
use otel_runtime::traced;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestRunner};
use support::{Explodes, in_child_until};

const LIMIT: usize = 64;
const INVALID: &[u8] = b"caf\xff\xfe";
/// How `Debug` shows `INVALID`: the bytes that are not UTF-8 escaped.
const INVALID_SHOWN: &str = r#""caf\xFF\xFE""#;

#[traced]
fn os_and_paths(os: &OsStr, path: &Path, owned_path: PathBuf, owned_os: OsString) -> usize {
    os.len() + path.as_os_str().len() + owned_path.as_os_str().len() + owned_os.len()
}

/// A linked list: its derived `Debug` recurses once per node.
#[derive(Debug)]
struct Node {
    #[allow(dead_code)] // Read by `Debug`.
    next: Option<Box<Node>>,
}

fn list(depth: usize) -> Node {
    let mut node = Node { next: None };
    for _ in 1..depth {
        node = Node {
            next: Some(Box::new(node)),
        };
    }
    node
}

impl Drop for Node {
    // The derived drop recurses as deep as the list: unlink it in a loop.
    fn drop(&mut self) {
        let mut next = self.next.take();
        while let Some(mut node) = next {
            next = node.next.take();
        }
    }
}

#[traced]
fn deep(list: &Node) -> bool {
    list.next.is_some()
}

#[derive(Debug)]
struct Big(#[allow(dead_code)] String);

#[traced]
fn big(value: &Big, n: u32) -> u32 {
    let _ = value;
    n + 1
}

/// Writes a little, then fails, as a `Debug` or `Display` that
/// (wrongly) reports its own error might.
struct Fails;

impl fmt::Debug for Fails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("partial")?;
        Err(fmt::Error)
    }
}

impl fmt::Display for Fails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shown")?;
        Err(fmt::Error)
    }
}

#[traced(fields(shown = %shown), ret(Debug))]
fn fails(value: Fails, shown: &Fails, n: u32) -> Fails {
    let _ = (value, shown, n);
    Fails
}

#[traced(fields(shown = %shown))]
fn explodes(value: Explodes, shown: &Explodes, n: u32) -> u32 {
    let _ = (value, shown);
    n * 2
}

fn text<'a>(span: &'a SpanData, key: &str) -> &'a str {
    match span.attr(key) {
        Some(Value::String(text)) => text.as_str(),
        other => panic!("{key} of {}: {other:?}", span.name),
    }
}

fn invalid() -> &'static OsStr {
    OsStr::from_bytes(INVALID)
}

/// The last span named `name` that `keep` saw end.
fn last(keep: &Keep, name: &str) -> SpanData {
    keep.0
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name} ended"))
        .clone()
}

/// Formats `list` as the caller would, then records it: 2,000 levels of
/// derived `Debug` on a stack of a known size, so that the result does not
/// depend on the test thread's.
fn deep_list_survives(record: fn(&Node) -> bool) -> usize {
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(otel_runtime::with_current_context(move || {
            let list = list(2_000);
            let plain = format!("{list:?}");
            assert!(record(&list));
            plain.len()
        }))
        .unwrap()
        .join()
        .unwrap()
}

/// The child: every hostile value recorded under a limit of `LIMIT`
/// characters, checked here.
fn limited() {
    let _guard = otel_runtime::init().unwrap();
    let keep = Keep::default();
    otel_runtime::set_tracer_provider(keep.provider());

    let invalid = invalid();
    let total = os_and_paths(
        invalid,
        Path::new(invalid),
        PathBuf::from(invalid),
        invalid.to_owned(),
    );
    assert_eq!(total, 4 * INVALID.len());
    let span = last(&keep, "os_and_paths");
    for key in ["os", "path", "owned_path", "owned_os"] {
        assert_eq!(text(&span, key), INVALID_SHOWN, "{key}");
    }

    let plain = deep_list_survives(deep);
    assert!(plain > 2_000 * "Node { next: Some(".len(), "{plain}");
    let span = last(&keep, "deep");
    assert_eq!(
        text(&span, "list"),
        &"Node { next: Some(Node { next: Some(Node { next: Some(Node { next: Some("[..LIMIT]
    );

    let huge = Big("é".repeat(5_000_000));
    assert_eq!(big(&huge, 1), 2);
    let span = last(&keep, "big");
    assert_eq!(
        text(&span, "value"),
        format!("Big(\"{}", "é".repeat(LIMIT - 5))
    );

    assert_eq!(explodes(Explodes, &Explodes, 4), 8);
    let span = last(&keep, "explodes");
    assert_eq!(text(&span, "value"), "<formatting panicked>");
    assert_eq!(text(&span, "shown"), "<formatting panicked>");
    assert_eq!(span.status, Status::Unset);

    let before = keep.count();
    any_bytes_limited(&keep);
    // Each case's call ended its span (shrinking may add more).
    assert!(keep.count() >= before + 256, "{}", keep.count());
}

/// Any bytes, as each of the four argument types: UTF-8 text within the
/// limit, and the start of what `Debug` shows.
fn any_bytes_limited(keep: &Keep) {
    let config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    };
    TestRunner::new(config)
        .run(&proptest::collection::vec(any::<u8>(), 0..300), |bytes| {
            let os = OsStr::from_bytes(&bytes);
            os_and_paths(os, Path::new(os), PathBuf::from(os), os.to_owned());
            let span = last(keep, "os_and_paths");
            let full = format!("{os:?}");
            let expected: String = full.chars().take(LIMIT).collect();
            for key in ["os", "path", "owned_path", "owned_os"] {
                let recorded = text(&span, key);
                prop_assert!(recorded.chars().count() <= LIMIT);
                prop_assert_eq!(recorded, expected.as_str());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn hostile_values_under_a_length_limit_are_cut_and_change_nothing() {
    let env = [
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"),
        ("OTEL_TRACES_EXPORTER", "none"),
    ];
    let ended = in_child_until(&env, Duration::from_secs(60), limited);
    assert_checked(&ended, "");
}

/// Asserts that the child checked everything (its code ran to its end);
/// `context` goes in the failure message.
fn assert_checked(ended: &support::Ended, context: &str) {
    assert!(
        ended.succeeded(),
        "{context}{:?}\n{}\n{}",
        ended.status,
        ended.stdout,
        ended.stderr
    );
}

#[test]
fn a_debug_or_display_that_returns_an_error_records_what_it_wrote_without_panicking() {
    let child = support::child(|| {
        let _guard = otel_runtime::init().unwrap();
        let keep = Keep::default();
        otel_runtime::set_tracer_provider(keep.provider());
        let returned = fails(Fails, &Fails, 1);
        let _ = returned;
        let span = last(&keep, "fails");
        for key in ["value", "return"] {
            assert_eq!(text(&span, key), "partial", "{key}");
        }
        assert_eq!(text(&span, "shown"), "shown");
        assert_eq!(span.status, Status::Unset);
    });
    for limit in [None, Some("64")] {
        let mut env = vec![("OTEL_TRACES_EXPORTER", "none")];
        env.extend(limit.map(|limit| ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", limit)));
        let ended = child.run_until(&env, Duration::from_secs(60));
        assert_checked(&ended, &format!("limit {limit:?}: "));
        // A panic, even caught, would have run the program's panic hook.
        let stderr = &ended.stderr;
        assert!(!stderr.contains("panicked"), "limit {limit:?}: {stderr}");
    }
}

#[test]
fn invalid_utf8_is_recorded_escaped_as_debug_shows_it() {
    let invalid = invalid();
    let (total, spans) = capture(|| {
        os_and_paths(
            invalid,
            Path::new(invalid),
            PathBuf::from(invalid),
            invalid.to_owned(),
        )
    });
    assert_eq!(total, 4 * INVALID.len());
    let span = spans.named("os_and_paths");
    for key in ["os", "path", "owned_path", "owned_os"] {
        assert_eq!(text(span, key), INVALID_SHOWN, "{key}");
    }
}

#[test]
fn a_list_2000_deep_is_recorded_whole_without_a_limit() {
    let (plain, spans) = capture(|| deep_list_survives(deep));
    assert_eq!(text(spans.named("deep"), "list").len(), plain);
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::with_cases(256)
    })]

    #[test]
    fn any_bytes_as_os_strings_and_paths_are_recorded_as_debug_shows_them(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let os = OsStr::from_bytes(&bytes);
        let (_, spans) = capture(|| {
            os_and_paths(os, Path::new(os), PathBuf::from(os), os.to_owned())
        });
        let span = spans.named("os_and_paths");
        let expected = format!("{os:?}");
        for key in ["os", "path", "owned_path", "owned_os"] {
            prop_assert_eq!(text(span, key), expected.as_str());
        }
    }
}
