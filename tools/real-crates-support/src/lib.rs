//! A recording tracer provider for the published crates' test suites that
//! `scripts/real-crates.sh` runs with `#[traced]` on every function.
//!
//! `tools/annotate --install '::real_crates_support::install();'` puts a
//! call to [`install`] at the start of every test function. The first call
//! in a test process installs `otel_runtime`'s own pipeline, as `init` does
//! in production, with every span sampled (`Sampler::AlwaysOn`) and one
//! exporter that counts the spans it is handed and drops them. So every
//! traced call takes the recording path: its arguments are evaluated and
//! recorded, its errors and panics too, and its span goes through the batch
//! processor and is made into `SpanData`; without a provider, a traced call
//! skips all of that.
//!
//! The guard is kept until the process exits. The spans of a test are
//! exported when its thread ends (libtest runs each test on a thread of its
//! own), so that the counts are whole without a hook at process exit.
//!
//! When `REAL_CRATES_SPANS` names a directory, the process writes its
//! counts to a file named after its ID there, as `ENDED EXPORTED DROPPED`
//! (spans that ended, that our exporter was handed, that a full queue
//! dropped): after every export, and when a test's thread ends.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use otel_runtime::opentelemetry_sdk::error::OTelSdkResult;
use otel_runtime::opentelemetry_sdk::trace::{Sampler, SpanData, SpanExporter};

static INSTALL: Once = Once::new();

/// The guard, until the process exits.
static GUARD: Mutex<Option<otel_runtime::Guard>> = Mutex::new(None);

/// Spans handed to our exporter so far, in this process.
static EXPORTED: AtomicU64 = AtomicU64::new(0);

/// Where to write the counts (`REAL_CRATES_SPANS`), if anywhere.
static COUNTS: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Installs the recording provider, once per process; later calls do
/// nothing but arrange for this thread's spans to be exported when it ends.
pub fn install() {
    INSTALL.call_once(|| {
        COUNTS.get_or_init(|| {
            std::env::var_os("REAL_CRATES_SPANS")
                .map(|dir| PathBuf::from(dir).join(std::process::id().to_string()))
        });
        let guard = otel_runtime::builder()
            .service_name("real-crates")
            // Only our exporter, whatever `OTEL_TRACES_EXPORTER` says.
            .no_exporter()
            .span_exporter(Counting {
                written: Mutex::new(None),
            })
            .sampler(Sampler::AlwaysOn)
            .init();
        match guard {
            Ok(guard) => *GUARD.lock().unwrap_or_else(PoisonError::into_inner) = Some(guard),
            Err(error) => eprintln!("real-crates-support: no recording provider: {error}"),
        }
    });
    FLUSH_AT_THREAD_END.with(|_| {});
}

thread_local! {
    /// Touched by `install`, so that its destructor runs as the test's
    /// thread ends.
    static FLUSH_AT_THREAD_END: FlushAtThreadEnd = const { FlushAtThreadEnd };
}

struct FlushAtThreadEnd;

impl Drop for FlushAtThreadEnd {
    fn drop(&mut self) {
        flush();
        write_counts();
    }
}

/// How many spans our exporter has been handed so far in this process.
pub fn exported() -> u64 {
    EXPORTED.load(Ordering::Relaxed)
}

/// Exports every span that has ended so far (after [`install`]).
pub fn flush() {
    if let Some(guard) = &*GUARD.lock().unwrap_or_else(PoisonError::into_inner) {
        if let Err(error) = guard.flush() {
            eprintln!("real-crates-support: flush: {error}");
        }
    }
}

/// Writes `ENDED EXPORTED DROPPED` where `REAL_CRATES_SPANS` says.
fn write_counts() {
    if let Some(Some(file)) = COUNTS.get() {
        let stats = otel_runtime::export_stats();
        let counts = format!("{} {} {}\n", stats.ended, exported(), stats.dropped);
        // Best effort: the counts are for the script's table, not the tests.
        let _ = std::fs::write(file, counts);
    }
}

/// Counts the spans of each batch, and drops them.
#[derive(Debug)]
struct Counting {
    /// When the counts were last written from here.
    written: Mutex<Option<Instant>>,
}

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        EXPORTED.fetch_add(batch.len() as u64, Ordering::Relaxed);
        // Also here, at most once a second, for a process that never exits
        // normally (killed at the timeout, aborted).
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if written.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            write_counts();
            *written = Some(Instant::now());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[otel_runtime::traced]
    fn add(a: u32, b: u32) -> Result<u32, String> {
        a.checked_add(b)
            .ok_or_else(|| format!("{a} + {b} overflows"))
    }

    /// The provider records: a traced call's span reaches the exporter.
    #[test]
    fn records() {
        super::install();
        super::install();
        assert_eq!(add(1, 2), Ok(3));
        assert!(add(u32::MAX, 1).is_err());
        super::flush();
        assert!(super::exported() >= 2, "exported {}", super::exported());
    }
}
