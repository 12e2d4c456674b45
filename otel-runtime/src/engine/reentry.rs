//! A traced function called by the tracing machinery itself (a traced
//! global allocator, a traced `Debug` impl used while recording) must not
//! trace again: the inner call would wait on a lock or a `OnceLock` that the
//! outer one holds, or recurse without end. Such a call runs untraced.
//!
//! So does a call made while the thread's locals are being destroyed (a
//! traced `Drop` of a thread-local value, a traced deallocation): the
//! OpenTelemetry context is a thread-local too, and may already be gone.

use std::cell::Cell;

thread_local! {
    // `const` and without a destructor: reading it never allocates, which a
    // traced allocator needs.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
    static CANARY_SET: Cell<bool> = const { Cell::new(false) };
    // Destroyed with the thread's other locals; see `thread_alive`.
    static CANARY: Canary = const { Canary };
}

struct Canary;

impl Drop for Canary {
    fn drop(&mut self) {}
}

/// Whether the thread's locals, OpenTelemetry's context among them, are
/// still there. Thread-locals are destroyed in the reverse order of their
/// first use, so the canary, first used right after the context, is
/// destroyed before it: once the canary is gone, the context may be too.
fn thread_alive() -> bool {
    if !CANARY_SET.with(Cell::get) {
        opentelemetry::Context::map_current(|_| ());
        CANARY_SET.with(|set| set.set(true));
    }
    CANARY.try_with(|_| ()).is_ok()
}

/// Proof that this thread is inside the tracing machinery, until dropped.
pub(crate) struct Inside(());

impl Drop for Inside {
    fn drop(&mut self) {
        let _ = INSIDE.try_with(|inside| inside.set(false));
    }
}

/// Enters the tracing machinery: `None` when this thread is already in it.
pub(crate) fn enter() -> Option<Inside> {
    let entered = INSIDE
        .try_with(|inside| !inside.replace(true))
        .unwrap_or(false);
    // `then`, not `then_some`: an `Inside` built and dropped would reset the flag.
    entered.then(|| Inside(()))
}

/// Enters the tracing machinery to start a span: `None` when this thread is
/// already in it, or is destroying its locals.
pub(crate) fn enter_to_start() -> Option<Inside> {
    let inside = enter()?;
    thread_alive().then_some(inside)
}

/// Runs `f` inside the machinery: a traced call it makes runs untraced.
pub(crate) fn within<R>(f: impl FnOnce() -> R) -> R {
    let _inside = enter();
    f()
}

/// Whether this thread is inside the machinery: the `tracing` bridge
/// ignores what happens there (the exporters' own `tracing` events).
#[cfg(feature = "tracing")]
pub(crate) fn is_inside() -> bool {
    INSIDE.try_with(Cell::get).unwrap_or(true)
}

/// Puts this thread inside the machinery for good: for the threads that
/// export, so that nothing they do (hyper's and tonic's `tracing` events,
/// a user's traced exporter) is traced and exported in turn.
pub(crate) fn for_good() {
    let _ = INSIDE.try_with(|inside| inside.set(true));
}
