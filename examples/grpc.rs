//! The tutorial's order service over gRPC: a tonic server with
//! `ServerLayer` and a tonic client with `ClientLayer`, in one process.
//! `checkout` places an order (unary) and lists what is left (a server
//! stream); each call's client span, the server span it continues and the
//! handler's traced step print as one tree.
//!
//! Run it with `cargo run --example grpc`. The service is written without
//! generated code, so that nothing needs `protoc` (`tests/support/grpc.rs`,
//! shared with the tests); a generated client or server takes the layers
//! the same way.

#[path = "../tests/support/grpc.rs"]
mod orders;

use otel_runtime::grpc::{ClientLayer, ClientService, ServerLayer};
use otel_runtime::traced;
use tonic::transport::{Channel, Endpoint};

type Client = tonic::client::Grpc<ClientService<Channel>>;

/// One order and the list after it: two calls, one trace.
#[traced(skip(client))]
async fn checkout(client: &mut Client, item: &str) -> Result<usize, tonic::Status> {
    client
        .ready()
        .await
        .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
    let path = http::uri::PathAndQuery::from_static("/shop.Orders/Place");
    let request = tonic::Request::new(item.as_bytes().to_vec());
    let placed = client.unary(request, path, orders::Raw).await?;
    println!("{}", String::from_utf8_lossy(placed.get_ref()));

    client
        .ready()
        .await
        .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
    let path = http::uri::PathAndQuery::from_static("/shop.Orders/List");
    let request = tonic::Request::new(b"3".to_vec());
    let mut items = client
        .server_streaming(request, path, orders::Raw)
        .await?
        .into_inner();
    let mut count = 0;
    while items.message().await?.is_some() {
        count += 1;
    }
    Ok(count)
}

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _guard = otel_runtime::init()?;
    let port = orders::serve(ServerLayer::new(), orders::Orders::default()).await;
    let authority = format!("127.0.0.1:{port}");
    let channel = Endpoint::from_shared(format!("http://{authority}"))?
        .connect()
        .await?;
    let channel = tower::ServiceBuilder::new()
        .layer(ClientLayer::new().server(&authority))
        .service(channel);
    let mut client = tonic::client::Grpc::new(channel);
    let listed = checkout(&mut client, "shoes").await?;
    println!("{listed} items listed");
    Ok(())
}
