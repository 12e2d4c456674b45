//! The bodies of a call, observed as they pass: each message recorded as an
//! `rpc.message` event, and the call ended by the response's trailers.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::{Context, KeyValue};

use super::call::{Call, Outcome};

/// Which way the messages of a body go, for the span whose side reads or
/// writes it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Direction {
    Sent,
    Received,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Sent => "SENT",
            Direction::Received => "RECEIVED",
        }
    }
}

/// Finds gRPC messages in a body's bytes, however its frames cut them: each
/// is a compressed flag (1 byte), a big-endian length (4) and the message.
#[derive(Default, Debug)]
struct Framing {
    header: [u8; 5],
    filled: usize,
    /// Bytes of the current message still to come.
    left: u64,
    seen: i64,
}

/// A message's header: its number (from 1), whether it is compressed, its
/// size.
#[derive(Debug, PartialEq, Eq)]
struct Message {
    id: i64,
    compressed: bool,
    size: u32,
}

impl Framing {
    /// Calls `each` for every message whose header ends in `bytes`.
    fn feed(&mut self, mut bytes: &[u8], mut each: impl FnMut(Message)) {
        while !bytes.is_empty() {
            if self.left > 0 {
                let skipped =
                    usize::try_from(self.left).map_or(bytes.len(), |left| left.min(bytes.len()));
                self.left -= skipped as u64;
                bytes = &bytes[skipped..];
                continue;
            }
            let taken = (self.header.len() - self.filled).min(bytes.len());
            self.header[self.filled..self.filled + taken].copy_from_slice(&bytes[..taken]);
            self.filled += taken;
            bytes = &bytes[taken..];
            if self.filled == self.header.len() {
                self.filled = 0;
                let [flag, size @ ..] = self.header;
                let size = u32::from_be_bytes(size);
                self.left = u64::from(size);
                self.seen += 1;
                each(Message {
                    id: self.seen,
                    compressed: flag == 1,
                    size,
                });
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A body whose messages become events of the call's span; a response
    /// body also ends the call (`end`) when its trailers come, when it ends
    /// without them, or when it is dropped before.
    pub(super) struct Observed<B> {
        #[pin]
        inner: B,
        framing: Framing,
        direction: Direction,
        cx: Context,
        // Whether the span is current while the body is polled: a server's
        // response body runs the handler's stream.
        current: bool,
        end: Option<Call>,
    }
}

impl<B> Observed<B> {
    /// A request body (no end to make), its messages `direction`.
    pub(super) fn request(inner: B, cx: Context, direction: Direction) -> Self {
        Observed {
            inner,
            framing: Framing::default(),
            direction,
            cx,
            current: false,
            end: None,
        }
    }

    /// A response body that ends `call`.
    pub(super) fn response(inner: B, call: Call, direction: Direction, current: bool) -> Self {
        Observed {
            inner,
            framing: Framing::default(),
            direction,
            cx: call.context().clone(),
            current,
            end: Some(call),
        }
    }
}

impl<B> Body for Observed<B>
where
    B: Body<Data = Bytes>,
    B::Error: std::error::Error + 'static,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        task: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let polled = {
            let _current = this.current.then(|| this.cx.clone().attach());
            this.inner.poll_frame(task)
        };
        let Poll::Ready(frame) = &polled else {
            return polled;
        };
        match frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let span = this.cx.span();
                    if span.is_recording() {
                        let direction = this.direction.name();
                        this.framing.feed(data, |message| {
                            span.add_event("rpc.message", message.attributes(direction));
                        });
                    }
                } else if let Some(trailers) = frame.trailers_ref() {
                    if let Some(call) = this.end.take() {
                        let outcome = super::status::read(trailers)
                            .map_or_else(missing_status, |(code, message)| {
                                Outcome::Status(code, message)
                            });
                        call.finish(outcome);
                    }
                }
            }
            Some(Err(error)) => {
                if let Some(call) = this.end.take() {
                    call.finish(failed(error));
                }
            }
            None => {
                if let Some(call) = this.end.take() {
                    call.finish(missing_status());
                }
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Message {
    /// The conventions' attributes of an `rpc.message` event; the size is
    /// the compressed one when the message is compressed.
    fn attributes(&self, direction: &'static str) -> Vec<KeyValue> {
        let size = if self.compressed {
            "rpc.message.compressed_size"
        } else {
            "rpc.message.uncompressed_size"
        };
        vec![
            KeyValue::new("rpc.message.type", direction),
            KeyValue::new("rpc.message.id", self.id),
            KeyValue::new(size, i64::from(self.size)),
        ]
    }
}

/// A response that ended without a `grpc-status`: the protocol says the
/// call's status is then `UNKNOWN`.
pub(super) fn missing_status() -> Outcome {
    Outcome::Status(
        super::status::UNKNOWN,
        "the response ended without a grpc-status".to_owned(),
    )
}

/// A body or service that failed: the status that tonic makes of the
/// error for the caller, when it is one of those it maps (a `Status` in
/// the error's chain, an expired deadline, a failed connection); else the
/// error's type, and its chain as the description.
pub(super) fn failed<E: std::error::Error + 'static>(error: &E) -> Outcome {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(status) = error.downcast_ref::<tonic::Status>() {
            return Outcome::Status(
                i64::from(i32::from(status.code())),
                status.message().to_owned(),
            );
        }
        if error.is::<tonic::TimeoutExpired>() {
            return Outcome::Status(super::status::CANCELLED, error.to_string());
        }
        if error.is::<tonic::ConnectError>() {
            return Outcome::Status(super::status::UNAVAILABLE, error.to_string());
        }
        source = error.source();
    }
    let mut description = error.to_string();
    let mut source = error.source();
    while let Some(error) = source {
        description.push_str(": ");
        description.push_str(&error.to_string());
        source = error.source();
    }
    Outcome::Failed(std::any::type_name::<E>().to_owned(), description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(chunks: &[&[u8]]) -> Vec<Message> {
        let mut framing = Framing::default();
        let mut found = Vec::new();
        for chunk in chunks {
            framing.feed(chunk, |message| found.push(message));
        }
        found
    }

    #[test]
    fn messages_are_found_however_the_frames_cut_them() {
        let mut stream = vec![0, 0, 0, 0, 3, b'a', b'b', b'c'];
        stream.extend([1, 0, 0, 0, 0]);
        stream.extend([0, 0, 0, 1, 0]);
        stream.extend(std::iter::repeat_n(7, 256));
        let expected = [
            Message {
                id: 1,
                compressed: false,
                size: 3,
            },
            Message {
                id: 2,
                compressed: true,
                size: 0,
            },
            Message {
                id: 3,
                compressed: false,
                size: 256,
            },
        ];
        assert_eq!(messages(&[&stream]), expected);
        // Byte by byte, and in uneven pieces.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(messages(&bytes), expected);
        let pieces: Vec<&[u8]> = stream.chunks(7).collect();
        assert_eq!(messages(&pieces), expected);
    }
}
