//! A small gRPC service for the tests, without generated code (so no
//! `protoc`): messages are raw bytes (`Raw`), and `Orders` routes the four
//! kinds of call to handlers written with `tower::service_fn`. What each
//! handler does depends on the message, so one service covers every case.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf as _, BufMut as _};
use futures::{Stream, StreamExt as _};
use otel_runtime::traced;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Request, Response, Status, Streaming};
use tower::service_fn;

/// Messages as they are on the wire: bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// `shop.Orders`: `Place` (unary), `List` (server streaming), `Upload`
/// (client streaming) and `Chat` (both ways). With an inventory (a
/// `host:port`), `Place` reserves the item there, through a traced
/// channel.
#[derive(Clone, Debug, Default)]
pub struct Orders {
    pub inventory: Option<String>,
}

impl tonic::server::NamedService for Orders {
    const NAME: &'static str = "shop.Orders";
}

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Messages = Pin<Box<dyn Stream<Item = Result<Vec<u8>, Status>> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for Orders {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Boxed<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let inventory = self.inventory.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(Raw);
            let place = |request| place(inventory.clone(), request);
            Ok(match request.uri().path() {
                "/shop.Orders/Place" => grpc.unary(service_fn(place), request).await,
                "/shop.Orders/List" => grpc.server_streaming(service_fn(list), request).await,
                "/shop.Orders/Upload" => grpc.client_streaming(service_fn(upload), request).await,
                "/shop.Orders/Chat" => grpc.streaming(service_fn(chat), request).await,
                _ => Status::unimplemented("no such method").into_http(),
            })
        })
    }
}

/// A traced step of the handler: a child of the server span. Without an
/// inventory, the item's length; with one, what it answered.
#[traced(skip(inventory))]
async fn reserve(inventory: Option<String>, item: String) -> Result<String, Status> {
    let Some(inventory) = inventory else {
        return Ok(item.len().to_string());
    };
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{inventory}"))
        .map_err(|error| Status::internal(error.to_string()))?
        .connect()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let channel = tower::ServiceBuilder::new()
        .layer(otel_runtime::grpc::ClientLayer::new().server(&inventory))
        .service(channel);
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let path = http::uri::PathAndQuery::from_static("/shop.Inventory/Reserve");
    let reply = client
        .unary(Request::new(item.into_bytes()), path, Raw)
        .await?;
    Ok(String::from_utf8_lossy(reply.get_ref()).into_owned())
}

/// `ok`, `missing` (NOT_FOUND), `broken` (INTERNAL), `slow` (sleeps 2 s),
/// `panic`.
async fn place(
    inventory: Option<String>,
    request: Request<Vec<u8>>,
) -> Result<Response<Vec<u8>>, Status> {
    let message = String::from_utf8_lossy(request.get_ref()).into_owned();
    match message.as_str() {
        "missing" => Err(Status::not_found("no order №7")),
        "broken" => Err(Status::internal("the database is down")),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Ok(Response::new(b"late".to_vec()))
        }
        "panic" => panic!("the handler failed"),
        _ => {
            let reserved = reserve(inventory, message).await?;
            Ok(Response::new(format!("placed {reserved}").into_bytes()))
        }
    }
}

/// As many items as the message says, 10 ms apart after the first.
async fn list(request: Request<Vec<u8>>) -> Result<Response<Messages>, Status> {
    let count: u32 = String::from_utf8_lossy(request.get_ref())
        .parse()
        .map_err(|_| Status::invalid_argument("not a count"))?;
    let items = futures::stream::iter(0..count).then(|n| async move {
        if n > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(format!("item {n}").into_bytes())
    });
    Ok(Response::new(Box::pin(items)))
}

/// How many messages came.
async fn upload(request: Request<Streaming<Vec<u8>>>) -> Result<Response<Vec<u8>>, Status> {
    let mut stream = request.into_inner();
    let mut count = 0;
    while stream.message().await?.is_some() {
        count += 1;
    }
    Ok(Response::new(format!("{count} received").into_bytes()))
}

/// Each message back.
async fn chat(request: Request<Streaming<Vec<u8>>>) -> Result<Response<Messages>, Status> {
    let echoed = request.into_inner().map(|message| {
        message.map(|mut bytes| {
            bytes.extend_from_slice(b"!");
            bytes
        })
    });
    Ok(Response::new(Box::pin(echoed)))
}

/// Starts `orders` behind `layer` on a free loopback port, on the current
/// Tokio runtime; returns the port.
pub async fn serve(layer: otel_runtime::grpc::ServerLayer, orders: Orders) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tonic::transport::Server::builder()
        .layer(layer)
        .add_service(orders)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    port
}
