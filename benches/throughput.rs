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
//! one table; it asserts nothing about time. With `--paced`, it measures
//! instead the highest rate exported in full at a set pace (`paced`).

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
        self.spans
            .fetch_add(common::spans_in(request.get_ref()), Ordering::Relaxed);
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

/// Calls `work` from `threads` threads for `seconds`, timing one call in
/// 64; as fast as they can, or at `THROUGHPUT_PACE` calls per second in
/// all (`--paced`).
fn run(threads: usize, seconds: f64, work: impl Fn() -> u64 + Clone + Send + 'static) -> Phase {
    let pace = std::env::var("THROUGHPUT_PACE")
        .ok()
        .and_then(|pace| pace.parse::<f64>().ok())
        .map(|pace| pace / threads as f64);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let work = work.clone();
            std::thread::spawn(move || {
                let (mut calls, mut samples) = (0u64, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    // Not the call right after a pause (below).
                    if calls % 64 == 32 {
                        let at = Instant::now();
                        std::hint::black_box(work());
                        samples.push(at.elapsed());
                    } else {
                        std::hint::black_box(work());
                    }
                    calls += 1;
                    if let (Some(pace), 0) = (pace, calls % 64) {
                        let due = started + Duration::from_secs_f64(calls as f64 / pace);
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    }
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

    if args.iter().any(|arg| arg == "--paced") {
        return paced(seconds);
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

/// Spans per second at a set pace, not a flood: for 1 and 4 calling
/// threads, rising rates (doubling, then by quarters), each in a child set
/// up by `init` exporting over gRPC to the receiver on loopback (with the
/// `OTEL_BSP_*` settings of this process's environment); how many the
/// receiver got, the calls' latency, and the CPU each side used. The
/// highest rate it gets in full is the sustained rate; at that rate, runs
/// exporting and discarding in turn give the p99s to compare.
fn paced(seconds: f64) {
    let received = Arc::new(AtomicU64::new(0));
    let (port, _receiver) = start_receiver(Arc::clone(&received));
    let setting =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    println!(
        "paced: {seconds} s per rate, OTLP gRPC to loopback, queue {}, batch {}, {} export(s) at once",
        setting("OTEL_BSP_MAX_QUEUE_SIZE", "2048"),
        setting("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"),
        setting("OTEL_BSP_MAX_CONCURRENT_EXPORTS", "1"),
    );
    println!(
        "| threads | asked per s | made per s | received | lost | p50 call | p99 call | child's CPUs | receiver's CPUs |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut sustained = Vec::new();
    for threads in [1, 4] {
        let mut best = None;
        // Doubling from 25,000 per second until spans are lost; then up
        // from the last rate kept (`base`) in steps of a quarter of it.
        let mut base = None;
        let mut pace: f64 = 25_000.0;
        loop {
            let before = received.load(Ordering::Relaxed);
            let cpu = Cpu::now();
            let child = child_phase_paced(threads, seconds, Setup::Init, Some(port), pace);
            let cpu = Cpu::now().since(&cpu);
            let got = received.load(Ordering::Relaxed) - before;
            let phase = &child.phase;
            let lost = phase.calls.saturating_sub(got);
            println!(
                "| {threads} | {pace:.0} | {:.0} | {got} | {lost} | {:?} | {:?} | {:.2} | {:.2} |",
                phase.calls as f64 / phase.seconds,
                phase.p50,
                phase.p99,
                cpu.child / cpu.wall,
                cpu.parent / cpu.wall,
            );
            // Lost spans, or fewer made than asked (the callers' own
            // limit): higher rates say nothing more.
            let kept = lost == 0 && (phase.calls as f64 / phase.seconds) >= 0.9 * pace;
            if kept {
                best = Some((pace, phase.p99));
            }
            pace = match (kept, base, best) {
                (true, None, _) => pace * 2.0,
                (true, Some(base), _) => pace + base / 4.0,
                (false, None, Some((kept, _))) => {
                    base = Some(kept);
                    kept * 1.25
                }
                (false, _, _) => break,
            };
            if pace > 3.2e6 || base.is_some_and(|base| pace >= 2.0 * base) {
                break;
            }
        }
        if let Some((pace, _)) = best {
            sustained.push((threads, pace, p99s(threads, seconds, port, pace)));
        }
    }
    for (threads, pace, (exporting, discarding)) in sustained {
        println!(
            "{threads} thread(s): sustained {pace:.0} spans per s; p99 {exporting:?} exporting, \
             {discarding:?} discarding ({:.2}x; medians of {PAIRS})",
            exporting.as_secs_f64() / discarding.as_secs_f64()
        );
    }
}

/// Runs of each setup behind the p99s compared: one run's p99 on two
/// shared cores moves by a third from run to run.
const PAIRS: usize = 5;

/// The median p99 of a traced call at `pace`, exporting to `port` and
/// discarding, from runs of each taken in turn.
fn p99s(threads: usize, seconds: f64, port: u16, pace: f64) -> (Duration, Duration) {
    let (mut exporting, mut discarding) = (Vec::new(), Vec::new());
    for _ in 0..PAIRS {
        let run = child_phase_paced(threads, seconds, Setup::Init, Some(port), pace);
        exporting.push(run.phase.p99);
        let run = child_phase_paced(threads, seconds, Setup::Discarding, None, pace);
        discarding.push(run.phase.p99);
    }
    exporting.sort();
    discarding.sort();
    (exporting[PAIRS / 2], discarding[PAIRS / 2])
}

/// CPU time of this process (the receiver, while a child runs) and of its
/// children that have ended, from `/proc/self/stat`, with the wall time.
struct Cpu {
    parent: f64,
    child: f64,
    wall: f64,
    at: Instant,
}

impl Cpu {
    fn now() -> Cpu {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // The fields after the command's name: utime, stime, cutime and
        // cstime are the 12th to the 15th, in clock ticks (100 a second).
        let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
        let ticks: Vec<f64> = after_name
            .split(' ')
            .skip(11)
            .take(4)
            .map(|field| field.parse().unwrap_or(0.0) / 100.0)
            .collect();
        let tick = |index: usize| ticks.get(index).copied().unwrap_or(0.0);
        Cpu {
            parent: tick(0) + tick(1),
            child: tick(2) + tick(3),
            wall: 0.0,
            at: Instant::now(),
        }
    }

    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            parent: self.parent - before.parent,
            child: self.child - before.child,
            wall: self.at.duration_since(before.at).as_secs_f64(),
            at: self.at,
        }
    }
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

/// Runs a child set up as `setup` says (exporting over gRPC to `port` when
/// there is one), whose threads make `pace` spans per second in all.
fn child_phase_paced(
    threads: usize,
    seconds: f64,
    setup: Setup,
    port: Option<u16>,
    pace: f64,
) -> ChildPhase {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    // Spans only: the receiver takes no metrics or logs.
    command
        .env("THROUGHPUT_PACE", pace.to_string())
        .env("OTEL_METRICS_EXPORTER", "none")
        .env("OTEL_LOGS_EXPORTER", "none");
    run_child(command, threads, seconds, setup, port)
}

/// Runs a child set up as `setup` says, exporting over gRPC to `port` when
/// there is one; passes on what it said about loss.
fn child_phase(threads: usize, seconds: f64, setup: Setup, port: Option<u16>) -> ChildPhase {
    let command = std::process::Command::new(std::env::current_exe().unwrap());
    run_child(command, threads, seconds, setup, port)
}

fn run_child(
    mut command: std::process::Command,
    threads: usize,
    seconds: f64,
    setup: Setup,
    port: Option<u16>,
) -> ChildPhase {
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
