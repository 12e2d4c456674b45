//! The future of an `async fn` (or a function returning a future), carrying
//! its span: current on every poll, ended when the future completes or is
//! dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use super::span::Active;

pin_project_lite::pin_project! {
    /// A future whose span is current while it is polled.
    pub struct Instrumented<F: Future> {
        #[pin]
        future: F,
        state: State<F::Output>,
    }
}

struct State<T> {
    active: Active,
    observe: fn(&T, &Active),
    finished: bool,
}

impl Active {
    /// Wraps `future`; `observe` records its output (an `Err`, `ret`).
    pub fn instrument<F: Future>(
        self,
        future: F,
        observe: fn(&F::Output, &Active),
    ) -> Instrumented<F> {
        Instrumented {
            future,
            state: State {
                active: self,
                observe,
                finished: false,
            },
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let state = this.state;
        let current = state.active.attach();
        let mut unwinding = PollGuard(Some(&mut *state));
        let poll = this.future.poll(task);
        unwinding.0 = None;
        drop(unwinding);
        if let Poll::Ready(output) = &poll {
            (state.observe)(output, &state.active);
            // Timed to here: a finished future may be dropped much later.
            state.active.completed();
            state.finished = true;
        }
        drop(current);
        poll
    }
}

/// Marks the span when a poll panics: the executor may catch the panic and
/// drop the future later, when `thread::panicking()` no longer tells.
struct PollGuard<'a, T>(Option<&'a mut State<T>>);

impl<T> Drop for PollGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(state) = self.0.take() {
            // On the span if it records, and as the call's outcome if it
            // is timed.
            state.active.record_panic();
            state.finished = true;
        }
    }
}

impl<T> Drop for State<T> {
    fn drop(&mut self) {
        if !self.finished && self.active.is_recording() {
            self.active.set_cancelled();
        }
    }
}
