//! Retrying a failed send, as the OTLP specification asks and as
//! `opentelemetry-otlp` does for the other signals: only what the
//! specification calls retryable, with exponential backoff and a little
//! jitter, waiting at least what a throttling collector asked for, and
//! never past the export's timeout.

use std::time::{Duration, Instant, SystemTime};

/// What a failed attempt allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Tried again after the backoff.
    Retry,
    /// Tried again after at least this long, which the collector asked for.
    Throttled(Duration),
    /// Given up: trying again would fail the same way.
    Final,
}

/// A failed attempt: why, and whether to try again.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) verdict: Verdict,
    pub(super) message: String,
}

/// How often and how soon to try again.
#[derive(Clone, Copy, Debug)]
pub(super) struct Policy {
    pub(super) max_retries: usize,
    pub(super) initial_delay: Duration,
    pub(super) max_delay: Duration,
    pub(super) max_jitter: Duration,
}

/// The longest a collector may ask us to wait.
const MAX_THROTTLE: Duration = Duration::from_secs(600);

impl Policy {
    /// While the program runs: retried until the export's timeout, so that
    /// a collector that restarts within it loses nothing.
    pub(super) const RUNNING: Policy = Policy {
        max_retries: usize::MAX,
        initial_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        max_jitter: Duration::from_millis(100),
    };

    /// At shutdown: tried once, so that a program whose collector is gone
    /// exits at once.
    pub(super) const ONCE: Policy = Policy {
        max_retries: 0,
        initial_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        max_jitter: Duration::ZERO,
    };
}

/// Runs `attempt` until it succeeds, fails for good, or `deadline` (from
/// now) leaves no room for the next wait.
pub(super) async fn retrying<F, Fut>(
    policy: Policy,
    deadline: Duration,
    mut attempt: F,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let start = Instant::now();
    let mut retries = 0;
    let mut delay = policy.initial_delay;
    let mut cap = policy.max_delay;
    loop {
        let failure = match attempt().await {
            Ok(()) => return Ok(()),
            Err(failure) => failure,
        };
        if retries >= policy.max_retries || start.elapsed() >= deadline {
            return Err(failure.message);
        }
        match failure.verdict {
            Verdict::Final => return Err(failure.message),
            Verdict::Retry => {}
            Verdict::Throttled(asked) => {
                let asked = asked.min(MAX_THROTTLE);
                // Never sooner than asked, even past the usual cap.
                if asked > cap {
                    cap = MAX_THROTTLE;
                }
                delay = delay.max(asked);
            }
        }
        let wait = (delay + jitter(policy.max_jitter)).min(cap);
        if wait >= deadline.saturating_sub(start.elapsed()) {
            return Err(failure.message);
        }
        retries += 1;
        tokio::time::sleep(wait).await;
        delay = delay.saturating_mul(2).min(cap);
    }
}

/// Up to `max`, from the clock's low digits: retries of many processes
/// should not fall in step, and no more randomness than that is needed.
fn jitter(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    Duration::from_nanos(u64::from(nanos) % max.as_nanos().max(1) as u64)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// `Policy::RUNNING` at a thousandth of its pace, so that the tests
    /// wait for real, briefly.
    const FAST: Policy = Policy {
        max_retries: usize::MAX,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        max_jitter: Duration::ZERO,
    };

    fn run(policy: Policy, deadline_ms: u64, fails: usize, verdict: Verdict) -> (bool, usize) {
        let attempts = AtomicUsize::new(0);
        let result = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(retrying(
                policy,
                Duration::from_millis(deadline_ms),
                || async {
                    match attempts.fetch_add(1, Ordering::SeqCst) < fails {
                        true => Err(Failure {
                            verdict,
                            message: "no".into(),
                        }),
                        false => Ok(()),
                    }
                },
            ));
        (result.is_ok(), attempts.load(Ordering::SeqCst))
    }

    #[test]
    fn a_retryable_failure_is_tried_again_until_it_succeeds() {
        assert_eq!(run(FAST, 10_000, 3, Verdict::Retry), (true, 4));
    }

    #[test]
    fn a_final_failure_and_a_policy_of_once_are_not_retried() {
        assert_eq!(run(FAST, 10_000, 3, Verdict::Final), (false, 1));
        assert_eq!(run(Policy::ONCE, 10_000, 3, Verdict::Retry), (false, 1));
    }

    #[test]
    fn retries_stop_when_the_next_wait_would_pass_the_deadline() {
        // 1, 2, 4, 8, 16 ms fit in 40 ms; the next 20 ms do not (or, on a
        // slow machine, an earlier one).
        let (ok, attempts) = run(FAST, 40, usize::MAX, Verdict::Retry);
        assert!(!ok);
        assert!((2..=6).contains(&attempts), "{attempts}");
    }

    #[test]
    fn a_throttled_failure_waits_as_long_as_asked() {
        // Asked for 100 ms, past the cap of 20: within a deadline of 1 s,
        // one retry; within 80 ms, none.
        let throttled = Verdict::Throttled(Duration::from_millis(100));
        let started = Instant::now();
        assert_eq!(run(FAST, 1_000, 1, throttled), (true, 2));
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert_eq!(run(FAST, 80, 1, throttled), (false, 1));
    }
}
