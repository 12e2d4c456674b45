//! What a panic said and where, for the `exception` event of the span it
//! unwinds through.
//!
//! A `Drop` that runs during unwinding knows that a panic is under way but
//! not its message, so a panic hook keeps the last message of each thread.
//! The hook is chained: the hook installed before (by default, the one that
//! prints the panic) still runs, so panics look exactly as they did.

use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::sync::Once;

thread_local! {
    static LAST_PANIC: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the hook once per process, the first time a span records.
pub(crate) fn install_hook() {
    // `set_hook` panics when called during unwinding; a span started by a
    // `Drop` impl then simply goes without the message.
    if INSTALL.is_completed() || std::thread::panicking() {
        return;
    }
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            remember(info);
            previous(info);
        }));
    });
}

fn remember(info: &PanicHookInfo<'_>) {
    let message = payload_message(info.payload());
    let location = info.location().map(ToString::to_string);
    // `try_with`: the thread may be tearing down its locals.
    let _ = LAST_PANIC.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some((message, location));
        }
    });
}

pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// The message and location of this thread's last panic.
pub(crate) fn take_last() -> (String, Option<String>) {
    LAST_PANIC
        .try_with(|last| last.try_borrow_mut().ok().and_then(|mut last| last.take()))
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            let why =
                "panic (its message is unknown: a panic hook set after otel_runtime's replaced it)";
            (why.to_owned(), None)
        })
}
