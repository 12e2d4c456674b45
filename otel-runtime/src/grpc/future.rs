//! The future of a call's service, for both sides: on the server, the
//! call's span is current while the handler runs, and a panic in it is
//! recorded; on either side, the response comes back with its body
//! observed, or the call ends with the service's error.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http::Response;
use opentelemetry::trace::TraceContextExt as _;

use super::body::Direction;
use super::call::Call;
use super::status::Side;

pin_project_lite::pin_project! {
    /// The inner service's future, until the response's head is there; the
    /// call goes on in the response's body.
    pub struct CallFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F> CallFuture<F> {
    pub(super) fn new(inner: F, call: Call) -> Self {
        CallFuture {
            inner,
            call: Some(call),
        }
    }
}

impl<F> fmt::Debug for CallFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for CallFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    E: std::error::Error + 'static,
    ResB: http_body::Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<tonic::codegen::StdError> + std::error::Error + 'static,
{
    type Output = Result<Response<tonic::body::Body>, E>;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(call) = this.call else {
            // Polled after it was ready: the inner future says what that
            // means.
            return this
                .inner
                .poll(task)
                .map_ok(|response| response.map(tonic::body::Body::new));
        };
        let server = call.side() == Side::Server;
        let polled = if server {
            let _current = call.context().clone().attach();
            let mut unwinding = OnUnwind(Some(call));
            let polled = this.inner.poll(task);
            unwinding.0 = None;
            polled
        } else {
            this.inner.poll(task)
        };
        let Poll::Ready(result) = polled else {
            return Poll::Pending;
        };
        let call = this
            .call
            .take()
            .expect("the call is there until the response");
        // A server sends the response's messages, and runs the handler's
        // stream while they are polled; a client receives them.
        let direction = if server {
            Direction::Sent
        } else {
            Direction::Received
        };
        Poll::Ready(super::answered(result, call, direction, server))
    }
}

/// Records a panic in a poll of the handler: the executor catches it and
/// drops the future later, when `thread::panicking()` no longer tells.
struct OnUnwind<'a>(Option<&'a mut Call>);

impl Drop for OnUnwind<'_> {
    fn drop(&mut self) {
        if let Some(call) = self.0.take() {
            call.panicked = true;
            let span = call.context().span();
            if span.is_recording() {
                let (message, location) = crate::engine::last_panic();
                crate::engine::record_panic(&span, message, location);
            }
        }
    }
}
