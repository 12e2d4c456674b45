//! A collector that is down, that dies and comes back, or that answers
//! late never crashes, blocks or slows the program: each case runs a
//! child process that exports over OTLP, and checks what it printed and
//! what arrived at the receiver (`tests/otlp_receiver/`) on loopback.

#[path = "support/python.rs"]
mod python;
mod support;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use otel_runtime::{export_stats, traced};
use python::Receiver;
use serde::{Deserialize, Serialize};
use support::{closed_port, in_child, silent_collector};

#[traced]
fn checkout(order: u32) -> u32 {
    db_query(order) + 1
}

#[traced]
fn db_query(order: u32) -> u32 {
    order * 2
}

#[traced]
fn step(phase: &str, n: u32) -> u32 {
    n + phase.len() as u32
}

/// A program that makes three spans per order, for two orders.
fn two_orders() {
    let guard = otel_runtime::init().unwrap();
    for order in 0..2 {
        checkout(order);
    }
    drop(guard);
}

#[test]
fn a_collector_that_is_down_neither_crashes_nor_hangs_the_program() {
    for protocol in ["grpc", "http/protobuf"] {
        let closed = closed_port();
        let endpoint = format!("http://127.0.0.1:{}", closed.port());
        let env = [
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ];
        let started = Instant::now();
        let printed = in_child(&env, two_orders);
        // While the program runs, the exporter would retry for up to the
        // export timeout (10 s); its last exports, at shutdown, are tried
        // once.
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(4),
            "{protocol}: the program took {took:?}"
        );
        // Loss is loud: the lost spans are counted and summed up at exit.
        assert_eq!(
            loss_summary(&printed.stderr),
            "otel_runtime: 4 spans were lost (4 in failed exports, 0 dropped from a full queue); 0 were delivered",
            "{protocol}"
        );
    }
}

/// The guard's last line, about the spans that were lost.
fn loss_summary(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|line| line.contains("spans were lost"))
        .unwrap_or_else(|| panic!("no loss summary: {stderr}"))
}

/// `{count} {what}` out of the guard's summary.
fn counted(summary: &str, what: &str) -> u64 {
    summary
        .split(what)
        .next()
        .and_then(|head| head.rsplit([' ', '(']).nth(1))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no '{what}' in: {summary}"))
}

#[test]
fn a_full_queue_drops_spans_and_says_how_many() {
    let flood = support::child(|| {
        let guard = otel_runtime::init().unwrap();
        for n in 0..500 {
            step("flood", n);
        }
        drop(guard);
    });
    let endpoint = format!("http://127.0.0.1:{}", silent_collector());
    let printed = flood.run(&[
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "300"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "16"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"),
    ]);
    // 500 spans into a queue of 16 that a silent collector never drains:
    // all but 16 are dropped, said at once (one line), and none delivered.
    let warnings: Vec<_> = printed
        .stderr
        .lines()
        .filter(|line| line.contains("the export queue is full"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", printed.stderr);
    let summary = loss_summary(&printed.stderr);
    assert_eq!(
        counted(summary, "dropped from a full queue"),
        484,
        "{summary}"
    );
    assert!(summary.ends_with("; 0 were delivered"), "{summary}");
    assert!(
        summary.starts_with("otel_runtime: 500 spans were lost"),
        "{summary}"
    );
}

/// What a slow collector held: requests answered, being answered now, and
/// the most at once.
#[derive(Debug, Default)]
struct Held {
    answered: AtomicUsize,
    now: AtomicUsize,
    most: AtomicUsize,
}

/// A collector that answers every OTLP/HTTP request (with success) only
/// after `delay`; what it held.
fn slow_collector(delay: Duration) -> (u16, Arc<Held>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = Arc::new(Held::default());
    let counting = Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let held = Arc::clone(&counting);
            std::thread::spawn(move || answer_late(stream, delay, &held));
        }
    });
    (port, held)
}

fn answer_late(stream: TcpStream, delay: Duration, held: &Held) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let now = held.now.fetch_add(1, Ordering::SeqCst) + 1;
        held.most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(delay);
        held.now.fetch_sub(1, Ordering::SeqCst);
        held.answered.fetch_add(1, Ordering::SeqCst);
        // An empty ExportTraceServiceResponse: everything accepted.
        let reply =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Four batches' worth of spans, all delivered before the guard returns.
fn four_batches() {
    let guard = otel_runtime::init().unwrap();
    for n in 0..400 {
        step("batch", n);
    }
    drop(guard);
}

/// `OTEL_BSP_MAX_CONCURRENT_EXPORTS`: with 4, a collector that takes its
/// time is sent several batches at once; with the default, one at a time.
/// Either way every span arrives, and the guard waits for the last.
#[test]
fn concurrent_exports_overlap_up_to_their_number_and_deliver_everything() {
    let child = support::child(four_batches);
    for (concurrent, at_once) in [("1", 1..=1), ("4", 2..=4)] {
        let (port, held) = slow_collector(Duration::from_millis(300));
        let endpoint = format!("http://127.0.0.1:{port}");
        let printed = child.run(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "100"),
            ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", concurrent),
        ]);
        assert!(!printed.stderr.contains("lost"), "{}", printed.stderr);
        let most = held.most.load(Ordering::SeqCst);
        assert!(at_once.contains(&most), "{concurrent}: {most} at once");
        assert!(held.answered.load(Ordering::SeqCst) >= 4, "{held:?}");
    }
}

/// This process's resident memory, and its peak, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

const FLOOD_THREADS: u32 = 2;
const FLOOD_SPANS_PER_THREAD: u32 = 150_000;

/// What [`flood_a_slow_collector`] saw.
#[derive(Serialize, Deserialize)]
struct Flooded {
    grew_kib: u64,
    slowest_us: u64,
    dropped: u64,
}

/// Floods a collector that takes its time; returns how much memory grew,
/// how long the slowest traced call took, and how many spans were dropped.
fn flood_a_slow_collector() -> Flooded {
    let guard = otel_runtime::init().unwrap();
    let flood = |spans: u32| {
        let threads: Vec<_> = (0..FLOOD_THREADS)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut slowest = Duration::ZERO;
                    for n in 0..spans {
                        let started = Instant::now();
                        std::hint::black_box(step("flood", n));
                        slowest = slowest.max(started.elapsed());
                    }
                    slowest
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .max()
            .unwrap()
    };
    // Enough for the queue to fill and every allocator arena to warm up.
    flood(20_000);
    let (before, _) = memory_kib();
    let slowest = flood(FLOOD_SPANS_PER_THREAD);
    let (_, peak) = memory_kib();
    let flooded = Flooded {
        grew_kib: peak.saturating_sub(before),
        slowest_us: u64::try_from(slowest.as_micros()).unwrap(),
        dropped: export_stats().dropped,
    };
    drop(guard);
    flooded
}

/// A slow collector and a flood of spans: memory stays bounded by the
/// queue (2,048 spans by default), the application never waits for the
/// exporter, and what was dropped is counted and said.
#[test]
fn a_slow_collector_under_a_flood_costs_bounded_memory_and_no_waiting() {
    let child = support::child(flood_a_slow_collector);
    let delay = Duration::from_millis(500);
    let endpoint = format!("http://127.0.0.1:{}", slow_collector(delay).0);
    let printed = child.run(&[
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ]);
    let flooded = &printed.returned;
    let flood = u64::from(FLOOD_THREADS * FLOOD_SPANS_PER_THREAD);
    // Each span the exporter had to hold costs some hundred bytes: held
    // without a bound, the flood's would take tens of megabytes more.
    let grew = flooded.grew_kib;
    assert!(
        grew < 16 * 1024,
        "memory grew by {grew} KiB over {flood} spans"
    );
    // A call that waited for the collector would take its 500 ms.
    let slowest = flooded.slowest_us;
    assert!(
        slowest < 250_000,
        "the slowest traced call took {slowest} µs"
    );
    // Most of the flood was dropped, counted through the API…
    let dropped = flooded.dropped;
    assert!(dropped > flood / 2, "{dropped} of {flood} dropped");
    // … and said on standard error, once while it happened, and summed
    // up at the end, when the spans the queue held have been delivered.
    let warnings = printed
        .stderr
        .lines()
        .filter(|line| line.contains("the export queue is full"))
        .count();
    assert_eq!(warnings, 1, "{}", printed.stderr);
    let summary = loss_summary(&printed.stderr);
    assert_eq!(
        counted(summary, "dropped from a full queue"),
        dropped,
        "{summary}"
    );
    assert!(counted(summary, "were delivered") >= 2048, "{summary}");
}

/// The README's settings for busy services hold more, and still a bounded
/// amount: 65,536 queued spans and four requests of 4,096 in flight.
#[test]
fn the_busy_service_settings_bound_memory_under_a_flood_too() {
    let child = support::child(flood_a_slow_collector);
    let endpoint = format!(
        "http://127.0.0.1:{}",
        slow_collector(Duration::from_millis(500)).0
    );
    let printed = child.run(&[
        ("OTEL_TRACES_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "65536"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"),
        ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", "4"),
    ]);
    let flooded = &printed.returned;
    let flood = u64::from(FLOOD_THREADS * FLOOD_SPANS_PER_THREAD);
    let grew = flooded.grew_kib;
    // Held without a bound, the flood's 300,000 spans would take some
    // hundreds of megabytes.
    eprintln!("memory grew by {grew} KiB over {flood} spans");
    assert!(
        grew < 48 * 1024,
        "memory grew by {grew} KiB over {flood} spans"
    );
    assert!(flooded.slowest_us < 250_000, "{}", flooded.slowest_us);
    assert!(flooded.dropped > 0, "{}", printed.stderr);
}

/// Phases driven by the parent through standard input; each reports on
/// standard output when it is done.
fn through_outages() {
    // Whatever happens, the parent is not left waiting for a report.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        eprintln!("the outages child gave up after 120 s");
        std::process::exit(3);
    });
    let guard = otel_runtime::init().unwrap();
    let mut commands = std::io::stdin().lines();
    let mut made = 0u64;
    let mut phase = |name: &str| {
        for n in 0..OUTAGE_SPANS {
            step(name, n);
        }
        made += u64::from(OUTAGE_SPANS);
    };
    let wait_for = |done: &dyn Fn(otel_runtime::ExportStats) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(export_stats()) {
            assert!(Instant::now() < deadline, "stuck at {:?}", export_stats());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    while let Some(Ok(command)) = commands.next() {
        match command.as_str() {
            // Delivered while the collector is up.
            "before" => {
                phase("before");
                wait_for(&|stats| stats.exported == u64::from(OUTAGE_SPANS));
            }
            // Made while it is down; delivered once it is back, by the
            // exporter's retries.
            "during-short" => phase("during-short"),
            "after-short" => {
                wait_for(&|stats| stats.exported == 2 * u64::from(OUTAGE_SPANS));
            }
            // Made while it is down for longer than the export timeout:
            // lost, and counted.
            "during-long" => {
                phase("during-long");
                wait_for(&|stats| stats.failed == u64::from(OUTAGE_SPANS));
            }
            // Delivered again once it is back.
            "after-long" => {
                phase("after-long");
                wait_for(&|stats| stats.exported == 3 * u64::from(OUTAGE_SPANS));
            }
            other => panic!("unknown command {other}"),
        }
        println!("done {command}");
    }
    assert_eq!(export_stats().ended, made);
    drop(guard);
}

const OUTAGE_SPANS: u32 = 50;

/// The collector dies and comes back, twice: spans made while it was down
/// for less than the export timeout are delivered when it is back, those
/// made during a longer outage are counted as failed, and export resumes.
fn collector_dies_and_comes_back(protocol: &str) {
    let outages = support::child(through_outages);
    let mut receiver = Receiver::start(&format!("outage-{}", protocol.replace('/', "-")));
    let port = if protocol == "grpc" {
        receiver.grpc
    } else {
        receiver.http
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut child = outages
        .command(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "4000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut commands = child.stdin.take().unwrap();
    let mut reports = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut run = |command: &str| {
        writeln!(commands, "{command}").unwrap();
        let expected = format!("done {command}");
        // The test harness prints its own text around the child's, and
        // before it on the same line.
        let finished = reports
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.ends_with(&expected));
        assert!(finished, "{protocol}: the child stopped before {command}");
    };

    run("before");
    receiver.kill();
    run("during-short");
    // Shorter than the 4 s export timeout, the retries' bound.
    std::thread::sleep(Duration::from_millis(500));
    receiver.restart();
    run("after-short");
    receiver.kill();
    run("during-long");
    receiver.restart();
    run("after-long");
    drop(commands);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{protocol}: {stderr}");

    // Exactly the spans of the phases the collector could take.
    let spans = receiver.spans(3 * OUTAGE_SPANS as usize);
    let mut phases: Vec<(String, i64)> = spans
        .iter()
        .map(|span| {
            (
                span["attributes"]["phase"].as_str().unwrap().to_owned(),
                span["attributes"]["n"].as_i64().unwrap(),
            )
        })
        .collect();
    phases.sort();
    let mut expected: Vec<(String, i64)> = ["after-long", "before", "during-short"]
        .iter()
        .flat_map(|phase| (0..i64::from(OUTAGE_SPANS)).map(|n| (phase.to_string(), n)))
        .collect();
    expected.sort();
    assert_eq!(phases, expected, "{protocol}");
    let summary = loss_summary(&stderr);
    assert_eq!(
        summary,
        format!(
            "otel_runtime: {OUTAGE_SPANS} spans were lost ({OUTAGE_SPANS} in failed exports, 0 dropped from a full queue); {} were delivered",
            3 * OUTAGE_SPANS
        ),
        "{protocol}"
    );
}

#[test]
fn a_collector_that_dies_and_comes_back_over_grpc() {
    collector_dies_and_comes_back("grpc");
}

#[test]
fn a_collector_that_dies_and_comes_back_over_http() {
    collector_dies_and_comes_back("http/protobuf");
}
