//! The wall-clock time that spans made directly (`direct`) take at their
//! start and end.
//!
//! A span reads the time twice, and `SystemTime::now()` costs several times
//! what a read of the CPU's time stamp counter does (the figures, and what
//! the counter saves a span, are in the ledger of `ARCHITECTURE.md`). So
//! where the kernel keeps its own clock with that counter, a span reads the
//! counter and scales it to the wall clock:
//!
//! - Each thread keeps an anchor: a wall-clock reading and the counter read
//!   around it. Times are derived from it for at most [`REFRESH_NS`], then
//!   the thread reads the wall clock again. A step of the wall clock (a
//!   time set by hand, a leap) is followed within that much time.
//! - How many nanoseconds a tick is, is measured against the wall clock
//!   over one to two seconds, process-wide, and measured again after
//!   that, so the rate follows the wall clock's own corrections (NTP).
//!   Until a first measurement over 10 ms, every time is the wall clock's.
//!
//! What a derived time can be off from the wall clock by: half the anchor's
//! reading (its wall time is placed in the middle of the two counter
//! reads), plus the rate's error over `REFRESH_NS` (a rate off by 1 ppm:
//! 0.2 ns; by the 500 ppm an NTP slew allows at most: 100 ns). A thread's
//! times do not go back when its anchor is renewed, so a span that starts
//! and ends on one thread never ends before it starts. Two threads' times
//! may differ by some tens of nanoseconds; a future that moves to another
//! thread does so microseconds later at the least, and a span ended by
//! being dropped is clamped to its start besides (`Record::end`).
//!
//! How far derived times were measured to stray from the wall clock read
//! around them is in the ledger too.
//!
//! One case a derived time gets wrong: a machine that sleeps (suspend to
//! RAM) with a counter that stops meanwhile. The first spans after it
//! wakes, on a thread whose anchor was fresh when it slept, are dated from
//! before the sleep until the anchor's window (200 µs of the counter) has
//! passed. And the clock source is read once, as the pipeline is set up:
//! a kernel that later gives up on the counter (its watchdog found it
//! unstable) is not followed, though each anchor's renewal still bounds
//! how long a wrong counter is believed.
//!
//! The counter is read only where the kernel's current clock source is
//! `tsc`: the kernel has checked that it ticks at a constant rate, in step
//! on every CPU. Elsewhere (another clock source, another OS or CPU), every
//! time is `SystemTime::now()`.

use std::time::SystemTime;

/// The time now, for a span made directly.
#[inline]
pub(crate) fn now() -> SystemTime {
    imp::now()
}

/// The time now in nanoseconds since the epoch (`0` before it), for a
/// call's duration: without the conversions to and from `SystemTime`,
/// which cost a timed call more than reading the counter does, and not
/// held to the thread's last time as a span's are (a duration that comes
/// out negative is taken as zero).
#[inline]
pub(crate) fn nanos() -> u64 {
    imp::nanos()
}

/// Decides where times come from and takes the first reading the rate is
/// measured from, so that neither falls on a span. Called as a pipeline is
/// set up.
pub(crate) fn prepare() {
    imp::prepare();
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    use std::time::SystemTime;

    #[inline]
    pub(super) fn now() -> SystemTime {
        SystemTime::now()
    }

    #[inline]
    pub(super) fn nanos() -> u64 {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64)
    }

    pub(super) fn prepare() {}
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use std::cell::Cell;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use safe_arch::read_timestamp_counter;

    /// How long a thread derives times from one anchor.
    pub(super) const REFRESH_NS: u64 = 200_000;
    /// How long the rate is first measured over.
    const FIRST_RATE_NS: u64 = 10_000_000;
    /// How long a measurement of the rate lasts before a new one begins.
    const RATE_NS: u64 = 1_000_000_000;
    /// By how much a new measurement of the rate may differ from the last
    /// (1 %) before it is taken for a step of the wall clock and thrown out.
    const RATE_AGREES: u64 = 100;
    /// The longest a wall-clock reading may take, in ticks, to anchor
    /// times or measure the rate with, unless readings are slower here
    /// (see [`QUICKEST`]): an uninterrupted reading takes well under that
    /// (the ledger has the figures), and one that takes longer was
    /// interrupted or delayed, so that the middle of the two counter reads
    /// around it may be far from it.
    const TIGHT_TICKS: u64 = 150;
    /// How many readings are tried for one that is tight.
    const TRIES: usize = 4;

    /// A wall-clock reading (nanoseconds since the Unix epoch) and the
    /// counter at the middle of it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) struct Pair {
        pub(super) wall: u64,
        pub(super) tsc: u64,
    }

    /// A thread's anchor: the pair its times are derived from, the rate
    /// (nanoseconds per tick, fixed point with 32 fractional bits), and for
    /// how many ticks it may be used.
    #[derive(Clone, Copy, Debug)]
    pub(super) struct Anchor {
        pub(super) pair: Pair,
        pub(super) scale: u64,
        pub(super) ticks: u64,
    }

    impl Anchor {
        /// Read the wall clock at the next call.
        const NONE: Anchor = Anchor {
            pair: Pair { wall: 0, tsc: 0 },
            scale: 0,
            ticks: 0,
        };

        pub(super) fn new(pair: Pair, scale: u64) -> Anchor {
            let ticks = match scale {
                0 => 0,
                scale => {
                    u64::try_from((u128::from(REFRESH_NS) << 32) / u128::from(scale)).unwrap_or(0)
                }
            };
            Anchor { pair, scale, ticks }
        }

        /// The time at counter `tsc`, in nanoseconds since the epoch, if
        /// the anchor may still be used. A counter behind the anchor's
        /// (read on another CPU) wraps to a large distance: not used either.
        #[inline]
        pub(super) fn at(&self, tsc: u64) -> Option<u64> {
            let since = tsc.wrapping_sub(self.pair.tsc);
            (since < self.ticks).then(|| {
                self.pair.wall + ((u128::from(since) * u128::from(self.scale)) >> 32) as u64
            })
        }
    }

    /// How far back a time may be from the last one the thread read and
    /// still be moved up to it: a renewed anchor's error. A wall clock set
    /// back by more is followed.
    const JITTER_NS: u64 = 1_000;

    thread_local! {
        static ANCHOR: Cell<Anchor> = const { Cell::new(Anchor::NONE) };
        /// The last time this thread read, in nanoseconds since the epoch.
        static LAST: Cell<u64> = const { Cell::new(0) };
    }

    const UNDECIDED: u8 = 0;
    const COUNTER: u8 = 1;
    const WALL: u8 = 2;

    /// Where times come from: [`COUNTER`] or [`WALL`], once decided.
    static SOURCE: AtomicU8 = AtomicU8::new(UNDECIDED);
    /// The rate last measured; 0 before the first measurement.
    static SCALE: AtomicU64 = AtomicU64::new(0);
    /// The quickest wall-clock reading seen, in ticks. Where every reading
    /// is slower than [`TIGHT_TICKS`] (a slow clock, a program run under
    /// an emulator), a reading is tight within twice that.
    static QUICKEST: AtomicU64 = AtomicU64::new(u64::MAX);
    /// What the rate is being measured from.
    static RATE: Mutex<Rate> = Mutex::new(Rate { since: None });

    #[inline]
    pub(super) fn now() -> SystemTime {
        if SOURCE.load(Ordering::Relaxed) == WALL {
            return SystemTime::now();
        }
        UNIX_EPOCH + Duration::from_nanos(derived())
    }

    #[inline]
    pub(super) fn nanos() -> u64 {
        if SOURCE.load(Ordering::Relaxed) == WALL {
            return wall_nanos(SystemTime::now()).unwrap_or(0);
        }
        anchored()
    }

    /// The time derived from the counter, in nanoseconds since the epoch,
    /// never before the thread's last.
    #[inline]
    fn derived() -> u64 {
        onward(anchored())
    }

    /// The time derived from the counter and this thread's anchor.
    #[inline]
    fn anchored() -> u64 {
        match ANCHOR.get().at(read_timestamp_counter()) {
            Some(nanos) => nanos,
            None => refresh(),
        }
    }

    /// `nanos`, or the last time this thread read if `nanos` is a little
    /// before it: a thread's times do not go back as its anchor is renewed,
    /// so the end of a span that starts and ends on one thread is never
    /// before its start.
    #[inline]
    pub(super) fn onward(nanos: u64) -> u64 {
        let last = LAST.get();
        let nanos = if nanos < last && last - nanos <= JITTER_NS {
            last
        } else {
            nanos
        };
        LAST.set(nanos);
        nanos
    }

    pub(super) fn prepare() {
        refresh();
    }

    /// Whether this thread's next time would be derived from the counter.
    #[cfg(test)]
    pub(super) fn derives() -> bool {
        SOURCE.load(Ordering::Relaxed) == COUNTER && ANCHOR.get().ticks > 0
    }

    /// Reads the wall clock, and anchors this thread's times there; the
    /// time, in nanoseconds since the epoch.
    #[cold]
    #[inline(never)]
    fn refresh() -> u64 {
        let pair = match source() {
            WALL => None,
            _ => read_pair(),
        };
        let Some((pair, tight)) = pair else {
            // Before 1970 or after 2554 there is nothing to derive from.
            ANCHOR.set(Anchor::NONE);
            return wall_nanos(SystemTime::now()).unwrap_or(0);
        };
        if tight {
            // Another thread measuring: its measurement will do.
            if let Ok(mut rate) = RATE.try_lock() {
                let scale = rate.measure(pair, SCALE.load(Ordering::Relaxed));
                SCALE.store(scale, Ordering::Relaxed);
            }
        }
        ANCHOR.set(Anchor::new(pair, SCALE.load(Ordering::Relaxed)));
        pair.wall
    }

    /// `time` in nanoseconds since the epoch, if a `u64` holds it.
    fn wall_nanos(time: SystemTime) -> Option<u64> {
        let since = time.duration_since(UNIX_EPOCH).ok()?;
        u64::try_from(since.as_nanos()).ok()
    }

    /// Decides, once, where times come from.
    fn source() -> u8 {
        match SOURCE.load(Ordering::Relaxed) {
            UNDECIDED => {
                let path = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
                let counter = std::fs::read_to_string(path).is_ok_and(|name| counted(&name));
                let source = if counter { COUNTER } else { WALL };
                SOURCE.store(source, Ordering::Relaxed);
                source
            }
            decided => decided,
        }
    }

    /// Whether the kernel's clock source, as its file names it, is the
    /// time stamp counter.
    pub(super) fn counted(clock_source: &str) -> bool {
        clock_source.trim() == "tsc"
    }

    /// A wall-clock reading with the counter at its middle, and whether it
    /// was tight enough to measure the rate with: the first tight one of a
    /// few, or else the quickest. `None` when the wall clock is outside
    /// what a `u64` of nanoseconds since 1970 holds.
    fn read_pair() -> Option<(Pair, bool)> {
        let mut best: Option<(Pair, u64)> = None;
        for _ in 0..TRIES {
            let before = read_timestamp_counter();
            let wall = SystemTime::now();
            let after = read_timestamp_counter();
            let wall = wall_nanos(wall)?;
            let took = after.wrapping_sub(before);
            let pair = Pair {
                wall,
                tsc: before.wrapping_add(took / 2),
            };
            if tight(took) {
                return Some((pair, true));
            }
            if best.is_none_or(|(_, quickest)| took < quickest) {
                best = Some((pair, took));
            }
        }
        best.map(|(pair, _)| (pair, false))
    }

    /// Whether a reading that took `took` ticks is tight.
    fn tight(took: u64) -> bool {
        if took <= TIGHT_TICKS {
            return true;
        }
        let quickest = QUICKEST.fetch_min(took, Ordering::Relaxed).min(took);
        took <= quickest.saturating_mul(2)
    }

    /// The measurement of the rate under way.
    #[derive(Debug)]
    pub(super) struct Rate {
        pub(super) since: Option<Pair>,
    }

    impl Rate {
        /// The rate measured from `since` to `now`, or `last` while the
        /// measurement is too short. 0 when the wall clock stepped: the
        /// measurement starts again from `now`.
        pub(super) fn measure(&mut self, now: Pair, last: u64) -> u64 {
            let Some(since) = self.since else {
                self.since = Some(now);
                return last;
            };
            let (Some(wall), Some(ticks)) = (
                now.wall.checked_sub(since.wall),
                now.tsc.checked_sub(since.tsc),
            ) else {
                // The wall clock went back, or the counter did.
                self.since = Some(now);
                return 0;
            };
            if wall < FIRST_RATE_NS || ticks == 0 {
                return last;
            }
            let scale = u64::try_from((u128::from(wall) << 32) / u128::from(ticks)).unwrap_or(0);
            if wall >= RATE_NS {
                self.since = Some(now);
            }
            if !plausible(scale) || (last != 0 && scale.abs_diff(last) > last / RATE_AGREES) {
                // The wall clock stepped during the measurement.
                self.since = Some(now);
                return 0;
            }
            scale
        }
    }

    /// A counter between 100 MHz and 20 GHz.
    fn plausible(scale: u64) -> bool {
        const ONE: u64 = 1 << 32;
        (ONE / 20..=ONE * 10).contains(&scale)
    }
}

#[cfg(all(test, target_arch = "x86_64", target_os = "linux"))]
mod tests {
    use std::time::{Duration, Instant, SystemTime};

    use super::imp::{Anchor, Pair, REFRESH_NS, Rate, counted, onward};

    /// A third of a nanosecond per tick: a 3 GHz counter.
    const THIRD: u64 = (1 << 32) / 3;

    fn pair(wall: u64, tsc: u64) -> Pair {
        Pair { wall, tsc }
    }

    #[test]
    fn an_anchor_derives_times_for_its_window_and_no_longer() {
        let anchor = Anchor::new(pair(1_000_000_000, 5_000), THIRD);
        assert_eq!(anchor.at(5_000), Some(1_000_000_000));
        assert_eq!(anchor.at(5_300), Some(1_000_000_099));
        // 200 µs of a 3 GHz counter: 600,000 ticks.
        assert_eq!(anchor.ticks, REFRESH_NS * 3);
        assert!(anchor.at(5_000 + 599_999).is_some());
        assert_eq!(anchor.at(5_000 + 600_000), None);
    }

    #[test]
    fn a_counter_behind_the_anchor_or_an_unmeasured_rate_reads_the_wall_clock() {
        let anchor = Anchor::new(pair(1_000_000_000, 5_000), THIRD);
        assert_eq!(anchor.at(4_999), None);
        assert_eq!(Anchor::new(pair(1_000_000_000, 5_000), 0).at(5_000), None);
    }

    #[test]
    fn the_rate_is_measured_over_10_ms_then_afresh_each_second() {
        let mut rate = Rate { since: None };
        assert_eq!(rate.measure(pair(0, 0), 0), 0);
        // 5 ms in: too short.
        assert_eq!(rate.measure(pair(5_000_000, 15_000_000), 0), 0);
        let scale = rate.measure(pair(30_000_000, 90_000_000), 0);
        assert!(scale.abs_diff(THIRD) <= 1, "{scale} against {THIRD}");
        // Still measured from the start until a second has passed …
        assert_eq!(rate.since, Some(pair(0, 0)));
        let scale = rate.measure(pair(1_000_000_000, 3_000_000_000), scale);
        assert!(scale.abs_diff(THIRD) <= 1);
        // … then from there.
        assert_eq!(rate.since, Some(pair(1_000_000_000, 3_000_000_000)));
    }

    #[test]
    fn a_step_of_the_wall_clock_throws_the_measurement_out() {
        let mut rate = Rate {
            since: Some(pair(0, 0)),
        };
        // 20 ms of wall time over 10 ms of ticks: the clock was set ahead.
        assert_eq!(rate.measure(pair(20_000_000, 30_000_000), THIRD), 0);
        assert_eq!(rate.since, Some(pair(20_000_000, 30_000_000)));
        // Set back: measured again from there.
        assert_eq!(rate.measure(pair(1_000, 60_000_000), THIRD), 0);
        assert_eq!(rate.since, Some(pair(1_000, 60_000_000)));
        // An implausible counter (a tick of a whole second) is no rate.
        let mut rate = Rate {
            since: Some(pair(0, 0)),
        };
        assert_eq!(rate.measure(pair(2_000_000_000, 2), 0), 0);
    }

    #[test]
    fn a_threads_times_go_back_only_for_a_step_of_the_wall_clock() {
        assert_eq!(onward(10_000), 10_000);
        // A renewed anchor a little behind the last one: held.
        assert_eq!(onward(9_500), 10_000);
        assert_eq!(onward(10_200), 10_200);
        // Set back by more than a renewal's error: followed.
        assert_eq!(onward(5_000), 5_000);
        assert_eq!(onward(6_000), 6_000);
    }

    #[test]
    fn only_the_tsc_clock_source_is_counted() {
        assert!(counted("tsc\n"));
        assert!(!counted("kvm-clock\n"));
        assert!(!counted("hpet"));
    }

    /// Derived times against the wall clock read around them, for 50 ms:
    /// long enough for the rate to be measured and anchors renewed.
    #[test]
    fn times_stay_with_the_wall_clock() {
        super::prepare();
        let tolerance = Duration::from_micros(2);
        let until = Instant::now() + Duration::from_millis(50);
        let mut derived = 0;
        while Instant::now() < until {
            let before = SystemTime::now();
            let time = super::now();
            let after = SystemTime::now();
            assert!(time + tolerance >= before, "{time:?} before {before:?}");
            assert!(time <= after + tolerance, "{time:?} after {after:?}");
            derived += usize::from(super::imp::derives());
        }
        let source = std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        );
        if source.is_ok_and(|source| counted(&source)) {
            assert!(derived > 0, "the counter was never used");
        } else {
            assert_eq!(
                derived, 0,
                "the counter was used without the kernel's say-so"
            );
        }
    }
}
