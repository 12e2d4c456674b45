//! Every traced call's duration, in one histogram: `code.function.duration`
//! (seconds), by `code.function.name` and, for a call that failed,
//! `error.type`. Rate, error ratio and latency per function come from this
//! one instrument. Metrics are not sampled: once `init` has installed a
//! meter provider, every call is recorded, whether its span is sampled,
//! dropped, or not made at all.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use opentelemetry::metrics::{BoundHistogram, Histogram, Meter};
use opentelemetry::{InstrumentationScope, KeyValue};

use super::callsite::{self, CallSite};
use super::{clock, provider, reentry};

/// The histogram's name.
const NAME: &str = "code.function.duration";

/// The bucket boundaries, in seconds: the semantic conventions' for
/// request durations (`http.server.request.duration`, from 5 ms to 10 s),
/// below which a function's calls often fall, so with five more from
/// 100 µs.
const BOUNDARIES: [f64; 19] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75,
    1.0, 2.5, 5.0, 7.5, 10.0,
];

static HISTOGRAM: OnceLock<Histogram<f64>> = OnceLock::new();
static ON: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Each function's histogram with its `code.function.name` bound, by
    /// call site: the attribute set is looked up once per thread, not on
    /// every call.
    static BOUND: RefCell<HashMap<usize, BoundHistogram<f64>, BySite>> =
        const { RefCell::new(HashMap::with_hasher(BySite)) };
}

/// Turns the recording of traced calls' durations on or off, from the next
/// call on. It is on once [`init`](crate::init) has set metrics up (unless
/// told otherwise with
/// [`Builder::function_metrics`](crate::Builder::function_metrics));
/// turning it on before that does nothing.
///
/// ```
/// // Under a load that the metrics should not add to:
/// otel_runtime::function_metrics(false);
/// ```
pub fn function_metrics(on: bool) {
    set_on(on && HISTOGRAM.get().is_some());
}

/// Times calls from now on, or stops, and tells `provider` whether every
/// call must start, sampled or not.
fn set_on(on: bool) {
    ON.store(on, Ordering::Release);
    provider::start_every_call(on);
}

/// Records traced calls' durations through `meter`'s histogram from now on
/// when `on` (once per process: `init` refuses a second time).
pub(crate) fn install(meter: &Meter, on: bool) {
    let histogram = meter
        .f64_histogram(NAME)
        .with_unit("s")
        .with_description("Duration of calls of traced functions.")
        .with_boundaries(BOUNDARIES.to_vec())
        .build();
    if HISTOGRAM.set(histogram).is_ok() {
        set_on(on);
    }
}

/// Whether `init` has installed its meter provider (which stays the one
/// it installed: `init` runs once).
#[cfg(any(feature = "tower", feature = "reqwest", feature = "tonic"))]
pub(crate) fn meter_installed() -> bool {
    HISTOGRAM.get().is_some()
}

/// The instrumentation scope of this crate's own telemetry: the function
/// histogram, and the HTTP integrations' spans and metrics.
pub(crate) fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("otel-runtime")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// Whether calls are timed.
#[inline]
pub(crate) fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// When a call started (nanoseconds since the epoch), or `0` when its
/// duration is not recorded, or was already: 8 bytes in every call's
/// state, and no flag beside them.
#[derive(Debug)]
pub(crate) struct Timer(AtomicU64);

impl Timer {
    /// No timer.
    pub(crate) const fn none() -> Timer {
        Timer(AtomicU64::new(0))
    }

    /// A timer for a call of `site` starting now, unless calls are not
    /// timed or this function's are not. (A call made inside the
    /// machinery does not get this far: it starts nothing.)
    #[inline]
    pub(crate) fn start(site: &CallSite) -> Timer {
        if !on() || !site.metrics {
            return Timer::none();
        }
        Timer(AtomicU64::new(clock::nanos()))
    }

    /// Whether the call is timed and its duration not yet recorded.
    #[inline]
    pub(crate) fn is_running(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// Records the call's duration, once: as a success, or with `error`,
    /// its `error.type`.
    pub(crate) fn stop(&self, site: &'static CallSite, error: Option<&str>) {
        let start = self.0.swap(0, Ordering::Relaxed);
        if start == 0 {
            return;
        }
        // A step back of the wall clock during the call: none at all.
        let seconds = clock::nanos().saturating_sub(start) as f64 * 1e-9;
        match error {
            None => record_success(site, seconds),
            Some(error) => record_failure(site, seconds, error),
        }
    }
}

/// Records a success through the thread's bound histogram of `site`:
/// outside the machinery, as recording through a bound histogram neither
/// allocates nor logs.
#[inline]
fn record_success(site: &'static CallSite, seconds: f64) {
    let key = std::ptr::from_ref(site) as usize;
    let recorded = BOUND.try_with(|bound| match bound.borrow().get(&key) {
        Some(bound) => {
            bound.record(seconds);
            true
        }
        None => false,
    });
    if recorded != Ok(true) {
        record_unbound(site, seconds);
    }
}

/// Binds `site`'s histogram for this thread, and records. Inside the
/// machinery: binding allocates, and a traced allocator must not come back
/// here.
#[cold]
#[inline(never)]
fn record_unbound(site: &'static CallSite, seconds: f64) {
    let Some(histogram) = HISTOGRAM.get() else {
        return;
    };
    reentry::within(|| {
        let key = std::ptr::from_ref(site) as usize;
        let bound = BOUND.try_with(|bound| {
            bound
                .borrow_mut()
                .entry(key)
                .or_insert_with(|| histogram.bind(&[function(site)]))
                .record(seconds);
        });
        // The thread is ending: its bound histograms are gone.
        if bound.is_err() {
            histogram.record(seconds, &[function(site)]);
        }
    });
}

/// Records a failure, with its `error.type`: a set of attributes per error,
/// looked up by the SDK.
#[cold]
#[inline(never)]
fn record_failure(site: &'static CallSite, seconds: f64, error: &str) {
    let Some(histogram) = HISTOGRAM.get() else {
        return;
    };
    let attributes = [
        function(site),
        KeyValue::new("error.type", error.to_owned()),
    ];
    reentry::within(|| histogram.record(seconds, &attributes));
}

fn function(site: &CallSite) -> KeyValue {
    KeyValue::new("code.function.name", callsite::function_of(site))
}

/// Hashes a call site's address as it is: addresses of distinct statics
/// are distinct, and the default hasher (SipHash) cost a third of the
/// recording (the ledger of `ARCHITECTURE.md`).
#[derive(Clone, Copy, Default)]
struct BySite;

impl BuildHasher for BySite {
    type Hasher = SiteHasher;

    fn build_hasher(&self) -> SiteHasher {
        SiteHasher(0)
    }
}

#[derive(Default)]
struct SiteHasher(u64);

impl Hasher for SiteHasher {
    fn finish(&self) -> u64 {
        // Spread the aligned address over the bits `HashMap` looks at.
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }

    fn write_usize(&mut self, address: usize) {
        self.0 = address as u64;
    }
}
