//! The README stays true: every Rust snippet in it is in a file that
//! builds (an example, or this file, where each is compiled in context),
//! and the expansion it shows is the macro's (its snapshot). The first
//! picture, the quickstart's output, is checked by `tests/examples.rs`.

#![allow(dead_code)] // the snippets' functions are compiled, not all run

#[path = "support/grpc.rs"]
mod grpc_service;
#[path = "../examples/quickstart.rs"]
mod quickstart;

use std::path::Path;

use quickstart::process_payment;

/// The README's ```` ```rust ```` blocks: whether each is `ignore`d, and
/// its lines.
fn rust_blocks(readme: &str) -> Vec<(bool, Vec<&str>)> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```rust") {
            let block = lines.by_ref().take_while(|line| *line != "```").collect();
            blocks.push((info.contains("ignore"), block));
        }
    }
    blocks
}

/// A line as compared: no indentation, spaces collapsed, and no `pub `
/// (an example's items are public for the tests that run them).
fn normalized(line: &str) -> String {
    let line = line.trim();
    let line = line.strip_prefix("pub ").unwrap_or(line);
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_rust_snippet_is_in_a_file_that_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("tests/readme.rs")];
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let sources: Vec<Vec<String>> = files
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| read(path).lines().map(normalized).collect())
        .collect();
    let readme = read(&root.join("README.md"));
    let mut checked = 0;
    for (ignored, block) in rust_blocks(&readme) {
        if ignored {
            continue;
        }
        let block: Vec<String> = block
            .iter()
            .map(|line| normalized(line))
            .filter(|line| !line.is_empty())
            .collect();
        let found = sources.iter().any(|source| {
            let source: Vec<&String> = source.iter().filter(|line| !line.is_empty()).collect();
            source
                .windows(block.len())
                .any(|window| window.iter().zip(&block).all(|(a, b)| *a == b))
        });
        assert!(
            found,
            "this README snippet is in no file that builds:\n{}",
            block.join("\n")
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked} snippets checked");
}

#[test]
fn the_expansion_shown_is_the_macros() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = read(&root.join("README.md"));
    let section = readme.split("## Seeing the expansion").nth(1).unwrap();
    let (_, shown) = rust_blocks(section)
        .into_iter()
        .find(|(ignored, _)| *ignored)
        .expect("the expansion's block");
    let snapshot = read(&root.join("otel-macros/tests/expand/snapshots/quickstart_db_query.snap"));
    let expanded = snapshot.splitn(3, "---\n").nth(2).unwrap();
    assert_eq!(shown.join("\n"), expanded.trim_end());
}

// The snippets, in the context they need.

#[test]
fn testing_snippet() {
    let (_, spans) = otel_runtime::testing::capture(|| process_payment(42, 99.99));
    assert!(spans.is_child_of(spans.named("db_query"), spans.named("process_payment")));
}

mod propagation_snippet {
    use otel_runtime::{propagation, traced};

    #[traced(kind = "server", parent = propagation::extract(request.headers()))]
    fn handle(request: &http::Request<Vec<u8>>) -> http::HeaderMap {
        // The headers of an outgoing call, which continues this trace.
        let mut headers = http::HeaderMap::new();
        propagation::inject(&mut headers);
        headers
    }
}

fn tracing_subscriber_snippet() -> Result<(), Box<dyn std::error::Error>> {
    use tracing_subscriber::prelude::*;

    let _guard = otel_runtime::builder().tracing_subscriber(false).init()?;
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::from_default_env())
        .with(tracing_subscriber::fmt::layer())
        .with(otel_runtime::tracing_layer())
        .init();
    Ok(())
}

fn metrics_snippet() {
    use otel_runtime::opentelemetry::{KeyValue, global};

    let meter = global::meter("shop");
    let orders = meter.u64_counter("shop.orders").build();
    let amounts = meter
        .f64_histogram("shop.order.amount")
        .with_unit("USD")
        .build();
    orders.add(1, &[KeyValue::new("country", "fr")]);
    amounts.record(32.5, &[]);
}

async fn create_order() -> &'static str {
    "created"
}

fn http_snippet() {
    use axum::{Router, routing::post};
    use otel_runtime::http::{client::TraceMiddleware, server::TraceLayer};

    let app = Router::new()
        .route("/order", post(create_order))
        .layer(TraceLayer::new()); // a server span per request: "POST /order"

    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(TraceMiddleware::new()) // a client span per request; traceparent sent
        .build();
    let _: (axum::Router, _) = (app, client);
}

/// Stand-ins for a service's generated code, whose `new` wraps what it is
/// given.
struct OrdersServer;

impl OrdersServer {
    #[allow(clippy::new_ret_no_self)]
    fn new(orders: grpc_service::Orders) -> grpc_service::Orders {
        orders
    }
}

struct OrdersClient;

impl OrdersClient {
    #[allow(clippy::new_ret_no_self)]
    fn new<T>(channel: T) -> tonic::client::Grpc<T> {
        tonic::client::Grpc::new(channel)
    }
}

async fn grpc_snippet(
    orders: grpc_service::Orders,
    address: std::net::SocketAddr,
) -> Result<(), Box<dyn std::error::Error>> {
    use otel_runtime::grpc::{ClientLayer, ServerLayer};
    use tonic::transport::{Endpoint, Server};

    // `OrdersServer` and `OrdersClient`: your service's generated code.
    Server::builder()
        .layer(ServerLayer::new()) // a server span per call: "shop.Orders/Place"
        .add_service(OrdersServer::new(orders))
        .serve(address)
        .await?;

    let channel = Endpoint::from_static("http://127.0.0.1:50051")
        .connect()
        .await?;
    let channel = tower::ServiceBuilder::new()
        .layer(ClientLayer::new().server("127.0.0.1:50051")) // a client span per call
        .service(channel);
    let mut orders = OrdersClient::new(channel);
    let _ = &mut orders;
    Ok(())
}
