//! What must never be printed, and what must never be generated.
//!
//! Collectors' credentials travel in `OTEL_EXPORTER_OTLP_HEADERS` (and in
//! an endpoint's `user:password@`): whatever goes wrong (collector down,
//! answering 401 or 500, a malformed entry beside the good ones), the
//! program's output shows no value of theirs, while the reports and the
//! loss summary are still printed.
//!
//! `#[traced]` generates no `unsafe`: this file forbids it and uses the
//! macro on every shape users write, every expansion snapshot is free of
//! it, and both crates forbid it.
#![forbid(unsafe_code)]

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use otel_runtime::testing::{SpanDataExt as _, capture, capture_async};
use otel_runtime::traced;
use support::closed_port;

const SECRETS: &[&str] = &[
    "s3cr3t",
    "k3y-v4lue",
    "p4ssw0rd",
    // Percent-encoded, in case something encodes before printing.
    "s%33cr%33t",
    "k3y%2Dv4lue",
];

#[traced]
fn checkout(order: u32) -> u32 {
    order + 1
}

/// The child: three spans exported (or not) as the environment says,
/// returning once the guard has dropped.
fn three_orders() {
    let guard = otel_runtime::init().expect("init");
    for order in 0..3 {
        checkout(order);
    }
    drop(guard);
}

/// A collector that answers every request with `status` and, as a careless
/// one might, echoes the request's head in its body. Returns its port and
/// what it received.
fn collector(status: &'static str) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    // Lives as long as the test binary; each connection is answered on a
    // thread of its own so a client that keeps one open blocks nothing.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut head = Vec::new();
                let mut buffer = [0; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                log.lock().unwrap().extend_from_slice(&head);
                let body = String::from_utf8_lossy(&head).into_owned();
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            });
        }
    });
    (port, received)
}

fn assert_nothing_leaks(what: &str, stdout: &str, stderr: &str) {
    for secret in SECRETS {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{what}: {secret:?} is printed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        );
    }
}

const HEADERS: &str =
    "authorization=Bearer%20s3cr3t-token,x-api-key=k3y-v4lue,broken-entry-without-equals";

#[test]
fn collector_credentials_in_headers_are_never_printed() {
    // The child stops here: the collectors and the cases are the parent's.
    let child = &support::child(three_orders);
    let (unauthorized, seen_401) = collector("401 Unauthorized");
    let (failing, _) = collector("500 Internal Server Error");
    let down = closed_port();
    let collectors = [
        ("down", down.port()),
        ("401", unauthorized),
        ("500", failing),
    ];
    let mut cases = Vec::new();
    for (state, port) in collectors {
        for protocol in ["grpc", "http/protobuf"] {
            for variable in [
                "OTEL_EXPORTER_OTLP_HEADERS",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            ] {
                cases.push((state, port, protocol, variable));
            }
        }
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    for &(state, port, protocol, variable) in chunk {
                        let endpoint = format!("http://127.0.0.1:{port}");
                        let env = [
                            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
                            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                            (variable, HEADERS),
                        ];
                        let ended = child.run_until(&env, Duration::from_secs(30));
                        let what = format!("{variable} over {protocol}, collector {state}");
                        // Its code ran to its end: the guard dropped.
                        assert!(ended.succeeded(), "{what}: {}", ended.stderr);
                        assert_nothing_leaks(&what, &ended.stdout, &ended.stderr);
                        // The malformed entry is reported, by its key, with
                        // the others' keys only.
                        let report = format!(
                            "otel_runtime: {variable}=\"authorization=…,x-api-key=…,\
                             broken-entry-without-equals\": the entry with key \
                             \"broken-entry-without-equals\" is not name=value"
                        );
                        assert!(ended.stderr.contains(&report), "{what}: {}", ended.stderr);
                        // Still told that nothing arrived.
                        assert!(
                            ended
                                .stderr
                                .contains("3 spans were lost (3 in failed exports"),
                            "{what}: {}",
                            ended.stderr
                        );
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
    // The headers were sent (the HTTP requests' heads are plain text), so
    // the 401 collector did see, and echo, what must not be printed.
    let seen = String::from_utf8_lossy(&seen_401.lock().unwrap()).to_ascii_lowercase();
    assert!(
        seen.contains("authorization: bearer s3cr3t-token")
            && seen.contains("x-api-key: k3y-v4lue"),
        "{seen}"
    );
}

#[test]
fn a_password_in_the_endpoint_is_never_printed() {
    let closed = closed_port();
    let port = closed.port();
    for protocol in ["grpc", "http/protobuf"] {
        for endpoint in [
            format!("http://user:p4ssw0rd@127.0.0.1:{port}"),
            // Not a URL: reported, with the password left out.
            format!("http://user:p4ssw0rd@127.0.0.1:{port}/%%zz bad"),
        ] {
            let env = [
                ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ];
            let ended = support::in_child_until(&env, Duration::from_secs(30), three_orders);
            let what = format!("{endpoint} over {protocol}");
            assert!(ended.succeeded(), "{what}: {}", ended.stderr);
            assert_nothing_leaks(&what, &ended.stdout, &ended.stderr);
            if endpoint.ends_with("bad") {
                assert!(
                    ended.stderr.contains(&format!(
                        "otel_runtime: OTEL_EXPORTER_OTLP_ENDPOINT=\"http://…@127.0.0.1:{port}/%%zz bad\": not an OTLP endpoint"
                    )),
                    "{what}: {}",
                    ended.stderr
                );
            } else {
                assert!(
                    ended.stderr.contains("3 spans were lost"),
                    "{what}: {}",
                    ended.stderr
                );
            }
        }
    }
}

// The shapes users write, compiled under `forbid(unsafe_code)`: an
// `unsafe` block in the expansion would fail this file's build.

#[traced]
fn sync_fn(n: u32) -> u32 {
    n * 2
}

#[traced]
async fn async_fn(n: u32) -> u32 {
    n + 1
}

struct Cart {
    items: Vec<u32>,
}

impl Cart {
    #[traced]
    fn total(&self, discount: u32) -> u32 {
        self.items.iter().sum::<u32>() - discount
    }
}

#[traced]
fn generic<T: std::fmt::Debug + Clone>(value: &T) -> T {
    value.clone()
}

#[traced]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = text.parse()?;
    Ok(n)
}

#[traced]
fn evens(up_to: u32) -> impl Iterator<Item = u32> {
    (0..up_to).filter(|n| n % 2 == 0)
}

#[test]
fn traced_shapes_compile_and_run_where_unsafe_code_is_forbidden() {
    let (value, spans) = capture(|| {
        let cart = Cart {
            items: vec![3, 4, 5],
        };
        (
            sync_fn(2),
            cart.total(2),
            generic(&"g"),
            parse("17"),
            parse("x").is_err(),
            evens(7).count(),
        )
    });
    assert_eq!(value, (4, 10, "g", Ok(17), true, 4));
    for name in ["sync_fn", "total", "generic", "evens"] {
        assert_eq!(spans.all_named(name).len(), 1, "{name}");
    }
    assert_eq!(spans.all_named("parse").len(), 2);
    assert_eq!(spans.named("total").attr("discount"), Some(&2_i64.into()));
    let (value, spans) = futures::executor::block_on(capture_async(|| async_fn(1)));
    assert_eq!(value, 2);
    assert_eq!(spans.all_named("async_fn").len(), 1);
}

/// How many times `text` has `unsafe` as a word (not inside `unsafe_code`).
fn unsafe_tokens(text: &str) -> usize {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices("unsafe")
        .filter(|(at, _)| {
            let before = text[..*at].chars().next_back().is_some_and(word);
            let after = text[at + "unsafe".len()..].chars().next().is_some_and(word);
            !before && !after
        })
        .count()
}

/// The expansion adds no `unsafe`: a snapshot has as many as its input
/// (where the user wrote an `unsafe` block, as `http`'s `StatusCode` does).
#[test]
fn no_expansion_adds_unsafe() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/otel-macros/tests/expand");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = entry.unwrap().path();
        if input.extension().is_some_and(|ext| ext == "rs") {
            let name = input.file_stem().unwrap().to_string_lossy().into_owned();
            let snapshot = format!("{dir}/snapshots/{name}.snap");
            let written = unsafe_tokens(&std::fs::read_to_string(&input).unwrap());
            let expanded = unsafe_tokens(&std::fs::read_to_string(&snapshot).unwrap());
            assert_eq!(expanded, written, "{snapshot}");
            checked += 1;
        }
    }
    // One per `otel-macros/tests/expand/*.rs` at the time of writing; fewer
    // means the inputs moved and this test checks nothing.
    assert!(checked >= 30, "only {checked} inputs in {dir}");
    assert_eq!(unsafe_tokens("x = unsafe { y }"), 1);
    assert_eq!(unsafe_tokens("#![forbid(unsafe_code)]"), 0);
}

#[test]
fn both_crates_forbid_unsafe_code() {
    for (name, lib) in [
        ("otel-runtime", include_str!("../otel-runtime/src/lib.rs")),
        ("otel-macros", include_str!("../otel-macros/src/lib.rs")),
    ] {
        assert!(
            lib.lines()
                .any(|line| line.trim() == "#![forbid(unsafe_code)]"),
            "{name}'s lib.rs does not forbid unsafe code"
        );
    }
}
