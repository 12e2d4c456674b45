//! OTLP/gRPC: the encoded request sent as the body of a unary call to the
//! collector's `TraceService/Export`, through tonic's channel (its HTTP/2
//! connection, TLS, gzip and deadline), with a codec that passes the bytes
//! on as they are.

use bytes::{Buf as _, BufMut as _, Bytes};
use http::uri::PathAndQuery;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use super::retry::{Failure, Verdict};
use super::{Target, USER_AGENT};
use crate::init::tls::Tls;

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

#[derive(Debug)]
pub(super) struct Grpc {
    channel: Channel,
    metadata: MetadataMap,
    gzip: bool,
}

impl Grpc {
    /// Connects lazily, on the first export; must run inside the exporters'
    /// runtime.
    // Without TLS, there are no certificates to take.
    #[cfg_attr(not(feature = "tls"), allow(unused_variables))]
    pub(super) fn new(target: &Target<'_>, tls: &Tls) -> Result<Grpc, String> {
        let endpoint = Endpoint::from_shared(target.endpoint.to_owned())
            .map_err(|error| format!("invalid endpoint {}: {error}", target.endpoint))?
            .user_agent(USER_AGENT)
            .map_err(|error| error.to_string())?
            .timeout(target.timeout);
        #[cfg(feature = "tls")]
        let endpoint = if target.endpoint.starts_with("https:") {
            endpoint
                .tls_config(tls.grpc())
                .map_err(|error| format!("TLS: {error}"))?
        } else {
            endpoint
        };
        Ok(Grpc {
            channel: endpoint.connect_lazy(),
            metadata: MetadataMap::from_headers(target.headers.clone()),
            gzip: target.gzip,
        })
    }

    /// One attempt.
    pub(super) async fn send(&self, body: Bytes) -> Result<(), Failure> {
        let mut client = tonic::client::Grpc::new(self.channel.clone());
        if self.gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        client.ready().await.map_err(|error| Failure {
            verdict: Verdict::Retry,
            message: format!("cannot reach the collector: {error}"),
        })?;
        let mut request = tonic::Request::new(body);
        *request.metadata_mut() = self.metadata.clone();
        match client
            .unary::<_, (), _>(request, PathAndQuery::from_static(EXPORT), Passed)
            .await
        {
            Ok(_) => Ok(()),
            Err(status) => Err(failure(&status)),
        }
    }
}

/// A failed call, by the OTLP specification's table for gRPC.
fn failure(status: &Status) -> Failure {
    let asked = status
        .get_details_retry_info()
        .and_then(|info| info.retry_delay)
        .filter(|delay| !delay.is_zero());
    let verdict = match status.code() {
        // Retryable only when the collector says when.
        Code::ResourceExhausted => asked.map_or(Verdict::Final, Verdict::Throttled),
        Code::Unavailable => asked.map_or(Verdict::Retry, Verdict::Throttled),
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::DataLoss => Verdict::Retry,
        _ => Verdict::Final,
    };
    Failure {
        verdict,
        message: format!(
            "the collector answered {:?}: {}",
            status.code(),
            status.message()
        ),
    }
}

/// The codec of a request already encoded, whose answer is not read (a
/// partial success is a success, as `opentelemetry-otlp` takes it).
#[derive(Clone, Copy, Debug, Default)]
struct Passed;

impl Codec for Passed {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = Passed;
    type Decoder = Passed;

    fn encoder(&mut self) -> Passed {
        Passed
    }

    fn decoder(&mut self) -> Passed {
        Passed
    }
}

impl Encoder for Passed {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Passed {
    type Item = ();
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}
