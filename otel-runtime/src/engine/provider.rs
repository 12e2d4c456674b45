//! Whether a tracer provider is installed, known without asking the global
//! one on every call.
//!
//! With no provider, a traced call should cost next to nothing; asking
//! `opentelemetry::global` costs a lock, a reference count and an
//! allocation. So a full start that finds the global provider to be the
//! no-op one remembers it, and later calls skip everything.
//!
//! What can make that stale is a provider installed afterwards. This
//! crate's own ways of installing one ([`init`](crate::init),
//! [`set_tracer_provider`](crate::set_tracer_provider), the test helpers)
//! say so at once, through the epoch. One installed straight through
//! `opentelemetry::global` is noticed too, as each thread checks again
//! every [`RECHECK_EVERY`] calls.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How many calls a thread trusts "no provider" before checking again.
const RECHECK_EVERY: u32 = 1024;

/// Bumped each time this crate installs a provider.
static EPOCH: AtomicU64 = AtomicU64::new(1);

/// The epoch in which the global provider was found to be the no-op one;
/// `0` when it was not (epochs start at 1).
static ABSENT_IN: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // `const` and without a destructor, like `reentry`'s flags.
    static UNTIL_RECHECK: Cell<u32> = const { Cell::new(0) };
}

/// Whether this call may skip starting a span: no provider is installed,
/// as far as the last full start saw.
#[inline]
pub(crate) fn known_absent() -> bool {
    ABSENT_IN.load(Ordering::Relaxed) == EPOCH.load(Ordering::Acquire)
        && UNTIL_RECHECK
            .try_with(|left| match left.get() {
                0 => {
                    left.set(RECHECK_EVERY);
                    false
                }
                n => {
                    left.set(n - 1);
                    true
                }
            })
            .unwrap_or(false)
}

/// The epoch to pass to [`observed`], read before the global provider is.
#[inline]
pub(crate) fn epoch() -> u64 {
    EPOCH.load(Ordering::Acquire)
}

/// What a full start found: whether the global provider was the no-op one.
#[inline]
pub(crate) fn observed(absent: bool, epoch: u64) {
    let value = if absent { epoch } else { 0 };
    if ABSENT_IN.load(Ordering::Relaxed) != value {
        ABSENT_IN.store(value, Ordering::Relaxed);
    }
}

/// A provider was just installed: every call starts in full again.
pub(crate) fn changed() {
    EPOCH.fetch_add(1, Ordering::Release);
}

/// The epoch in which `init` installed a provider whose sampler follows
/// the parent's decision (the specification's default); `0` otherwise.
static PARENT_DECIDES_SINCE: AtomicU64 = AtomicU64::new(0);

/// `PARENT_DECIDES_SINCE`, or `0` while every call is timed: what calls
/// read, so that the shortcut costs them one comparison either way.
static PARENT_DECIDES_IN: AtomicU64 = AtomicU64::new(0);

/// Whether every call starts in full, sampled or not (`metrics`).
static EVERY_CALL: AtomicBool = AtomicBool::new(false);

/// `init` installed a provider (and bumped the epoch) whose sampler is
/// `ParentBased`.
pub(crate) fn parent_decides_from_now() {
    PARENT_DECIDES_SINCE.store(EPOCH.load(Ordering::Acquire), Ordering::Release);
    refresh_shortcut();
}

/// Whether calls under an unsampled parent take the full start, where
/// they are timed (`parent_decides_unsampled`): a call's duration is
/// recorded whether its trace is sampled or not.
pub(crate) fn start_every_call(every: bool) {
    EVERY_CALL.store(every, Ordering::Release);
    refresh_shortcut();
}

fn refresh_shortcut() {
    let since = match EVERY_CALL.load(Ordering::Acquire) {
        true => 0,
        false => PARENT_DECIDES_SINCE.load(Ordering::Acquire),
    };
    PARENT_DECIDES_IN.store(since, Ordering::Release);
}

/// Whether a span started here would be dropped because its parent, the
/// current span, was: then it need not be made at all. Its children see the
/// same unsampled parent and are dropped as well, and nothing of the trace
/// is recorded here, so no span of it refers to the IDs it would have had.
#[inline]
pub(crate) fn under_unsampled_parent() -> bool {
    PARENT_DECIDES_IN.load(Ordering::Relaxed) == EPOCH.load(Ordering::Acquire)
        && current_unsampled()
}

/// The same, while every call is timed: such a call is timed in its
/// parent's context, with no span made.
pub(crate) fn parent_decides_unsampled() -> bool {
    PARENT_DECIDES_SINCE.load(Ordering::Relaxed) == EPOCH.load(Ordering::Acquire)
        && current_unsampled()
}

#[inline]
fn current_unsampled() -> bool {
    opentelemetry::Context::map_current(|cx| {
        use opentelemetry::trace::TraceContextExt as _;
        let parent = cx.span();
        let parent = parent.span_context();
        parent.is_valid() && !parent.is_sampled()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The statics are process-wide; these run in one test so that no other
    // unit test in this crate interleaves (none other touches them).
    #[test]
    fn absence_is_trusted_until_a_change_or_a_recheck() {
        let epoch = epoch();
        observed(true, epoch);
        UNTIL_RECHECK.with(|left| left.set(0));
        // A recheck is due first.
        assert!(!known_absent());
        for _ in 0..RECHECK_EVERY {
            assert!(known_absent());
        }
        assert!(!known_absent(), "checks again after RECHECK_EVERY calls");
        assert!(known_absent());
        changed();
        assert!(!known_absent(), "a change is seen at once");
        // An observation from before the change does not count.
        observed(true, epoch);
        assert!(!known_absent());
        observed(false, super::epoch());
        assert!(!known_absent());
    }
}
