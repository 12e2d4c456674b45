//! Spans per second from many threads, through the SDK's batch processor
//! and the OTLP gRPC exporter, to a receiver on loopback (the generated
//! server of the official OTLP protocol, counting what arrives); and the
//! latency of the calling threads meanwhile, against the same calls whose
//! spans are dropped at once, and against a collector that is down. The
//! same calls written by hand with the raw SDK, their spans dropped at once
//! too, show what `#[traced]` costs when many threads share the batch
//! processor and the counters.
//!
//! Each phase runs in a child process set up as a program is: by
//! `otel_runtime::init`, with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at the
//! receiver so that it goes through the exporter users get, or with an
//! exporter that discards (`span_exporter`); the raw SDK's with the batch
//! processor over that exporter.
//!
//! `cargo bench --bench throughput` (or `-- SECONDS THREADS`). It prints
//! one table; it asserts nothing about time.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{A, DiscardExporter, S, raw_sdk, traced};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use otel_runtime::opentelemetry::trace::TracerProvider as _;
use otel_runtime::opentelemetry_sdk::trace::Sampler;

/// Counts the spans of every export request.
#[derive(Default)]
struct Receiver {
    spans: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .map(|scope| scope.spans.len())
            .sum();
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Starts the receiver on a free loopback port, on a runtime of its own.
fn start_receiver(spans: Arc<AtomicU64>) -> (u16, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Receiver { spans }))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (port, runtime)
}

/// What one phase measured.
struct Phase {
    calls: u64,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

impl Phase {
    /// One line, for the parent to read back.
    fn to_line(&self) -> String {
        format!(
            "phase {} {} {} {}",
            self.calls,
            self.seconds,
            self.p50.as_nanos(),
            self.p99.as_nanos()
        )
    }

    fn from_line(line: &str) -> Option<Phase> {
        let mut parts = line.strip_prefix("phase ")?.split(' ');
        let mut next = || parts.next()?.parse::<f64>().ok();
        let (calls, seconds, p50, p99) = (next()?, next()?, next()?, next()?);
        Some(Phase {
            calls: calls as u64,
            seconds,
            p50: Duration::from_nanos(p50 as u64),
            p99: Duration::from_nanos(p99 as u64),
        })
    }
}

/// Calls `work` from `threads` threads for `seconds`, timing every 64th
/// call.
fn run(threads: usize, seconds: f64, work: impl Fn() -> u64 + Clone + Send + 'static) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let work = work.clone();
            std::thread::spawn(move || {
                let (mut calls, mut samples) = (0u64, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    if calls % 64 == 0 {
                        let at = Instant::now();
                        std::hint::black_box(work());
                        samples.push(at.elapsed());
                    } else {
                        std::hint::black_box(work());
                    }
                    calls += 1;
                }
                (calls, samples)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let (mut calls, mut samples) = (0, Vec::new());
    for worker in workers {
        let (n, mut s) = worker.join().unwrap();
        calls += n;
        samples.append(&mut s);
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    Phase {
        calls,
        seconds: started.elapsed().as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// How a child process makes its spans.
#[derive(Clone, Copy)]
enum Setup {
    /// `#[traced]`, set up by `init` from the environment.
    Init,
    /// `#[traced]`, set up by `init` with an exporter that discards.
    Discarding,
    /// By hand with the raw SDK: the batch processor over an exporter
    /// that discards.
    RawSdk,
}

impl Setup {
    const ALL: [Setup; 3] = [Setup::Init, Setup::Discarding, Setup::RawSdk];

    /// Its name on the child's command line.
    fn name(self) -> &'static str {
        match self {
            Setup::Init => "init",
            Setup::Discarding => "discarding",
            Setup::RawSdk => "raw-sdk",
        }
    }
}

/// The child: set up as `setup` says, make spans for `seconds`, flush, and
/// say how it went.
fn child(setup: Setup, threads: usize, seconds: f64) {
    let traced = || traced::work(A, S);
    let (phase, flushing) = match setup {
        Setup::Init | Setup::Discarding => {
            let builder = otel_runtime::builder();
            let builder = match setup {
                Setup::Discarding => builder.span_exporter(DiscardExporter),
                _ => builder,
            };
            let guard = builder.init().unwrap();
            let phase = run(threads, seconds, traced);
            let flushing = Instant::now();
            drop(guard);
            (phase, flushing)
        }
        Setup::RawSdk => {
            // The SDK's default sampler, as `init`'s.
            let provider = common::provider(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
            let tracer = provider.tracer("bench");
            let phase = run(threads, seconds, move || raw_sdk::work(&tracer, A, S));
            let flushing = Instant::now();
            provider.shutdown().unwrap();
            (phase, flushing)
        }
    };
    println!("{}", phase.to_line());
    println!("flushed {}", flushing.elapsed().as_nanos());
    // What the batch processor handed the discarding exporter, all flushed.
    println!("exported {}", common::EXPORTED.load(Ordering::Relaxed));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers = positional_numbers(&args);
    let seconds = numbers.first().copied().unwrap_or(3.0);
    let threads = numbers.get(1).map_or(4, |&n| n as usize);
    let chosen = args.iter().find_map(|arg| arg.strip_prefix("--child="));
    if let Some(chosen) = chosen {
        let setup = Setup::ALL
            .into_iter()
            .find(|setup| setup.name() == chosen)
            .expect("a known setup");
        return child(setup, threads, seconds);
    }

    // The same calls, their spans discarded by the exporter at once: made
    // by `#[traced]`, and by hand with the raw SDK.
    let idle = child_phase(threads, seconds, Setup::Discarding, None);
    let raw = child_phase(threads, seconds, Setup::RawSdk, None);

    let received = Arc::new(AtomicU64::new(0));
    let (port, _receiver) = start_receiver(Arc::clone(&received));
    let busy = child_phase(threads, seconds, Setup::Init, Some(port));
    let received = received.load(Ordering::Relaxed);
    // A collector that is down: nothing listens on this port.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = child_phase(threads, seconds, Setup::Init, Some(dead_port));
    print_table(threads, seconds, &idle, &raw, &busy, received, &dead);
}

/// The numbers given as arguments of their own (seconds, threads).
/// `cargo bench` also passes `--bench` and criterion's options, some with a
/// value (`--measurement-time 2`), which are not ours.
fn positional_numbers(args: &[String]) -> Vec<f64> {
    let mut numbers = Vec::new();
    let mut option_value = false;
    for arg in args {
        if std::mem::take(&mut option_value) {
            continue;
        }
        if arg.starts_with("--") {
            option_value = arg != "--bench" && !arg.contains('=');
        } else if let Ok(number) = arg.parse() {
            numbers.push(number);
        }
    }
    numbers
}

/// What a child exporting to `port` did, how long its guard took, and how
/// many spans reached the discarding exporter.
struct ChildPhase {
    phase: Phase,
    flushed: Duration,
    exported: u64,
}

/// Runs a child set up as `setup` says, exporting over gRPC to `port` when
/// there is one; passes on what it said about loss.
fn child_phase(threads: usize, seconds: f64, setup: Setup, port: Option<u16>) -> ChildPhase {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args([
        seconds.to_string(),
        threads.to_string(),
        format!("--child={}", setup.name()),
    ]);
    if let Some(port) = port {
        command
            .env("OTEL_TRACES_EXPORTER", "otlp")
            .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
            .env(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://127.0.0.1:{port}"),
            );
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let phase = stdout
        .lines()
        .find_map(Phase::from_line)
        .unwrap_or_else(|| {
            panic!(
                "the child said: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let flushed = stdout
        .lines()
        .find_map(|line| line.strip_prefix("flushed ")?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos);
    let exported = stdout
        .lines()
        .find_map(|line| line.strip_prefix("exported ")?.parse().ok())
        .unwrap_or(0);
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        println!("child ({}): {line}", setup.name());
    }
    ChildPhase {
        phase,
        flushed,
        exported,
    }
}

fn print_table(
    threads: usize,
    seconds: f64,
    idle: &ChildPhase,
    raw: &ChildPhase,
    busy: &ChildPhase,
    received: u64,
    dead: &ChildPhase,
) {
    println!("throughput: {threads} threads, {seconds} s per phase, batch processor defaults");
    println!("| phase | spans made per s | exported per s | dropped | p50 call | p99 call |");
    println!("|---|---:|---:|---:|---:|---:|");
    let rate = |phase: &Phase| phase.calls as f64 / phase.seconds;
    // Spans that reached the exporter, per second of the phase and of its
    // last flush.
    let delivered = |child: &ChildPhase, spans: u64| {
        spans as f64 / (child.phase.seconds + child.flushed.as_secs_f64())
    };
    for (name, child) in [
        ("exporter discards", idle),
        ("raw SDK by hand, exporter discards", raw),
    ] {
        println!(
            "| {name} | {:.0} | {:.0} | {} of {} | {:?} | {:?} |",
            rate(&child.phase),
            delivered(child, child.exported),
            child.phase.calls.saturating_sub(child.exported),
            child.phase.calls,
            child.phase.p50,
            child.phase.p99
        );
    }
    let (idle, raw) = (&idle.phase, &raw.phase);
    let (phase, flushed) = (&busy.phase, busy.flushed);
    println!(
        "| OTLP gRPC to loopback | {:.0} | {:.0} | {} of {} | {:?} | {:?} |",
        phase.calls as f64 / phase.seconds,
        delivered(busy, received),
        phase.calls.saturating_sub(received),
        phase.calls,
        phase.p50,
        phase.p99
    );
    println!(
        "| OTLP gRPC to a dead endpoint | {:.0} | 0 | all | {:?} | {:?} |",
        dead.phase.calls as f64 / dead.phase.seconds,
        dead.phase.p50,
        dead.phase.p99
    );
    println!(
        "spans made per s, #[traced] ÷ raw SDK, exporter discarding: {:.2}; p50 {:.2}, p99 {:.2}",
        rate(idle) / rate(raw),
        idle.p50.as_secs_f64() / raw.p50.as_secs_f64(),
        idle.p99.as_secs_f64() / raw.p99.as_secs_f64()
    );
    println!(
        "p99 ÷ p99 discarding: exporting {:.2}, dead endpoint {:.2}; shutdown took {flushed:?} (exporting), {:?} (dead endpoint)",
        phase.p99.as_secs_f64() / idle.p99.as_secs_f64(),
        dead.phase.p99.as_secs_f64() / idle.p99.as_secs_f64(),
        dead.flushed
    );
}
