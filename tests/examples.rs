//! Every example runs, and prints what its comments promise: each one's
//! `main`, in a child process of this test (they set up `init`), with the
//! console exporter that `init` picks when nothing is configured.
//! (`order_service` serves until stopped; `tests/http_peers.rs` runs it.)

#![allow(dead_code)] // the examples' items that their `main` does not use

#[path = "../examples/distributed.rs"]
mod distributed;
#[path = "../examples/errors.rs"]
mod errors;
#[path = "../examples/grpc.rs"]
mod grpc;
#[path = "../examples/logs.rs"]
mod logs;
#[path = "../examples/metrics.rs"]
mod metrics;
#[path = "../examples/quickstart.rs"]
mod quickstart;
#[path = "../examples/sampling.rs"]
mod sampling;
mod support;

/// What `main` printed, once it returned `Ok`.
fn run(main: fn() -> Result<(), String>) -> String {
    let printed = support::in_child(&[], main);
    if let Err(error) = &printed.returned {
        panic!("main failed: {error}\n{}{}", printed.stdout, printed.stderr);
    }
    printed.stdout
}

/// Each of `lines`, in this order, each on a line of its own (the tree's
/// prefixes and the bars' columns aside).
fn assert_in_order(printed: &str, lines: &[&str]) {
    let mut rest = printed.lines();
    for line in lines {
        assert!(
            rest.any(|printed| printed.contains(line)),
            "{line:?} not found in order in:\n{printed}"
        );
    }
}

/// A line of the console's output as compared with the README's picture:
/// no trace ID, no bar or time (what follows the name's run of spaces), and
/// the example's own path for its module's (`examples::quickstart` here).
fn shape(line: &str) -> String {
    if line.starts_with("trace ") {
        return "trace".to_owned();
    }
    let line = line.replace("examples::quickstart::", "quickstart::");
    let text = line.trim_start();
    let indent = &line[..line.len() - text.len()];
    let name = text.split("   ").next().unwrap_or_default();
    format!("{indent}{}", name.trim_end())
}

#[test]
fn quickstart_prints_two_trees_the_second_failing() {
    let printed = run(|| quickstart::main().map_err(|error| error.to_string()));
    // The README's first picture is this output, from its first trace on.
    let readme = include_str!("../README.md");
    let picture = readme
        .split("the times and IDs aside):")
        .nth(1)
        .and_then(|rest| rest.split("```\n").nth(1))
        .expect("the README's picture");
    let picture: Vec<String> = picture
        .lines()
        .skip_while(|line| !line.starts_with("trace "))
        .map(shape)
        .collect();
    let output: Vec<String> = printed
        .lines()
        .skip_while(|line| !line.starts_with("trace "))
        .map(shape)
        .take(picture.len())
        .collect();
    assert_eq!(output, picture, "{printed}");
    assert_eq!(
        printed.matches("\ntrace ").count() + usize::from(printed.starts_with("trace ")),
        2,
        "{printed}"
    );
    assert_in_order(
        &printed,
        &[
            "process_payment",
            "user_id = 42",
            "├─ db_query",
            "INFO 3 rows for SELECT * FROM orders",
            "└─ stripe_charge",
            "kind = client",
            "✗ process_payment",
            "error: the card was declined",
            "└─ ✗ stripe_charge",
        ],
    );
}

#[test]
fn errors_prints_the_err_and_the_panic() {
    let printed = run(|| errors::main().map_err(|error| error.to_string()));
    assert_in_order(
        &printed,
        &[
            "handle_request",
            "├─ ✗ risky_operation",
            "error: the upstream timed out after 250ms",
            "├─ risky_operation",
            "└─ ✗ parse_config",
            "error.type = panic",
            "code.function.duration",
        ],
    );
}

#[test]
fn sampling_keeps_about_its_ratio_of_whole_traces() {
    let printed = run(|| sampling::main().map_err(|error| error.to_string()));
    let kept: u32 = printed
        .split("kept ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|kept| kept.parse().ok())
        .unwrap_or_else(|| panic!("no count in {printed}"));
    // 1,000 traces at 0.25: far outside 150..350 is a broken sampler.
    assert!((150..350).contains(&kept), "{printed}");
}

#[test]
fn distributed_prints_one_tree_across_both_services() {
    let printed = run(|| distributed::main().map_err(|error| error.to_string()));
    assert!(printed.contains("order service answered: 201"), "{printed}");
    assert_in_order(
        &printed,
        &[
            "place_order",
            "└─ POST",
            "kind = client",
            "└─ POST /order",
            "kind = server",
            "├─ validate_order",
            "├─ save_to_database",
            "└─ notify_warehouse",
            "POST /orders",
            "reserve_stock",
        ],
    );
}

#[test]
fn logs_prints_the_records_under_their_calls() {
    let printed = run(|| logs::main().map_err(|error| error.to_string()));
    assert_in_order(
        &printed,
        &[
            "handle_order",
            "INFO order 42 received",
            "├─ query",
            "INFO items loaded: items = 3",
            "✗ handle_order",
            "ERROR no such order: order_id = 4242",
        ],
    );
}

#[test]
fn metrics_prints_the_traces_then_the_instruments() {
    let printed = run(|| metrics::main().map_err(|error| error.to_string()));
    assert!(!printed.contains("instruments ="), "{printed}");
    assert_in_order(
        &printed,
        &["place_order", "country = fr", "✗ place_order", "metrics"],
    );
    // The table's instruments, in the order the SDK reads them.
    for instrument in [
        "shop.orders",
        "shop.order.amount (USD)",
        "code.function.duration",
    ] {
        assert!(printed.contains(instrument), "{instrument} in {printed}");
    }
}

#[test]
fn grpc_prints_one_tree_across_client_and_server() {
    let printed = run(|| grpc::main().map_err(|error| error.to_string()));
    assert_in_order(
        &printed,
        &[
            "placed 5",
            "3 items listed",
            "checkout",
            "├─ shop.Orders/Place",
            "kind = client",
            "└─ shop.Orders/Place",
            "kind = server",
            "└─ reserve",
            "└─ shop.Orders/List",
            "rpc.server.duration (ms)",
            "rpc.client.duration (ms)",
        ],
    );
}
