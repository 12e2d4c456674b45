//! The logs signal end to end: `log` records and `tracing` events become
//! OpenTelemetry log records with the trace ID and span ID of the span they
//! were written in, exported over each OTLP transport to a real receiver
//! (`tests/otlp_receiver/`), counted when lost; and the setting that keeps
//! them as span events instead, or both.

#[path = "support/python.rs"]
mod python;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use otel_runtime::{TracingEvents, traced};
use python::Receiver;
use serde::{Deserialize, Serialize};

#[traced]
fn checkout(order: u32) -> Result<u32, String> {
    log::info!(target: "shop", "checkout of order {order}");
    let rows = query(order);
    tracing::warn!(order, rows, "stock is low");
    Ok(rows)
}

/// A library's `tracing` span, inside the traced call.
#[tracing::instrument]
fn query(order: u32) -> u32 {
    tracing::debug!(table = "items", "query sent");
    order + 1
}

/// A program that logs outside any span, then inside a trace.
fn program() {
    let guard = otel_runtime::init().unwrap();
    log::info!("starting");
    checkout(7).unwrap();
    drop(guard);
}

/// Runs [`program`] exporting over `protocol` to a receiver of its own, and
/// checks that each record carries the IDs of the span it was written in.
fn export_over(protocol: &str, compression: &str) {
    let child = support::child(program);
    let receiver = Receiver::start(&format!("logs-{}", protocol.replace('/', "-")));
    let port = if protocol == "grpc" {
        receiver.grpc
    } else {
        receiver.http
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let printed = child.run(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", compression),
        ("OTEL_SERVICE_NAME", "shop"),
        ("RUST_LOG", "debug"),
    ]);
    assert!(
        !printed.stderr.contains("otel_runtime:"),
        "{}",
        printed.stderr
    );
    assert!(!printed.stdout.contains("checkout"), "{}", printed.stdout);

    let spans = receiver.spans(2);
    let span = |name: &str| {
        spans
            .iter()
            .find(|span| span["name"] == name)
            .unwrap_or_else(|| panic!("no span {name}: {spans:#?}"))
    };
    let (checkout, query) = (span("checkout"), span("query"));
    assert_eq!(query["parent_span_id"], checkout["span_id"]);

    let logs = receiver.logs(4);
    assert_eq!(logs.len(), 4, "{logs:#?}");
    let log = |body: &str| {
        logs.iter()
            .find(|log| log["body"] == body)
            .unwrap_or_else(|| panic!("no log record {body:?}: {logs:#?}"))
    };
    let transport = if protocol == "grpc" { "grpc" } else { protocol };
    for log in &logs {
        assert_eq!(log["transport"], transport);
        assert_eq!(log["compressed"], compression == "gzip", "{log}");
        assert_eq!(log["resource"]["service.name"], "shop");
        assert!(log["time_unix_nano"].as_u64().unwrap() > 0, "{log}");
    }

    let starting = log("starting");
    assert_eq!(
        (&starting["trace_id"], &starting["span_id"]),
        (&"".into(), &"".into())
    );
    assert_eq!(starting["severity_number"], "SEVERITY_NUMBER_INFO");

    let ordered = log("checkout of order 7");
    assert_eq!(ordered["trace_id"], checkout["trace_id"]);
    assert_eq!(ordered["span_id"], checkout["span_id"]);
    assert_eq!(ordered["flags"], 1, "sampled");
    // `opentelemetry-otlp` sends a record's target as its scope's name.
    assert_eq!(ordered["scope"]["name"], "shop");
    assert_eq!(ordered["severity_text"], "INFO");
    assert!(
        ordered["attributes"]["code.file.path"]
            .as_str()
            .is_some_and(|path| path.ends_with("logs.rs")),
        "{ordered}"
    );

    let sent = log("query sent");
    assert_eq!(sent["span_id"], query["span_id"]);
    assert_eq!(sent["trace_id"], checkout["trace_id"]);
    assert_eq!(sent["severity_number"], "SEVERITY_NUMBER_DEBUG");
    assert_eq!(sent["attributes"]["table"], "items");

    let low = log("stock is low");
    assert_eq!(low["span_id"], checkout["span_id"]);
    assert_eq!(low["severity_number"], "SEVERITY_NUMBER_WARN");
    assert_eq!(
        (&low["attributes"]["order"], &low["attributes"]["rows"]),
        (&7.into(), &8.into())
    );

    // By default, events are log records, not span events too.
    assert_eq!(checkout["events"], serde_json::json!([]), "{checkout}");
}

#[test]
fn over_grpc() {
    export_over("grpc", "none");
}

#[test]
fn over_grpc_with_gzip() {
    export_over("grpc", "gzip");
}

#[test]
fn over_http_protobuf() {
    export_over("http/protobuf", "none");
}

#[test]
fn over_http_protobuf_with_gzip() {
    export_over("http/protobuf", "gzip");
}

#[test]
fn over_http_json() {
    export_over("http/json", "none");
}

/// Keeps the spans it is given.
#[derive(Clone, Debug, Default)]
struct Keep(Arc<Mutex<Vec<opentelemetry_sdk::trace::SpanData>>>);

impl opentelemetry_sdk::trace::SpanExporter for Keep {
    async fn export(&self, batch: Vec<opentelemetry_sdk::trace::SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

/// Over TLS with certificate files named for logs alone (the spans'
/// variables unset, spans not exported): the log records still reach a
/// collector that requires our client certificate.
#[test]
fn over_mutual_tls_with_the_logs_own_certificates() {
    let child = support::child(|| {
        let guard = otel_runtime::init().unwrap();
        checkout(3).unwrap();
        drop(guard);
    });
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("logs-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let receiver = Receiver::start_with("logs-tls", Some(&directory));
    let file = |name: &str| directory.join(name).to_str().unwrap().to_owned();
    let (ca, certificate, key) = (file("ca.pem"), file("client.pem"), file("client-key.pem"));
    let endpoint = format!("https://127.0.0.1:{}", receiver.http);
    let printed = child.run(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "otlp"),
        (
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
            &format!("{endpoint}/v1/logs"),
        ),
        ("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", &ca),
        ("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", &certificate),
        ("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", &key),
    ]);
    assert!(
        !printed.stderr.contains("otel_runtime:"),
        "{}",
        printed.stderr
    );
    let logs = receiver.logs(2);
    assert_eq!(logs.len(), 2, "{logs:#?}");
    assert!(logs.iter().all(|log| log["tls"] == true), "{logs:#?}");
    assert!(logs.iter().all(|log| log["trace_id"] != ""), "{logs:#?}");
    assert_eq!(receiver.spans(0).len(), 0);
    let _ = std::fs::remove_dir_all(&directory);
}

/// What a kept log record says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Record {
    body: String,
    span_id: Option<String>,
}

/// Keeps the log records it is given, optionally taking its time.
#[derive(Clone, Debug, Default)]
struct KeepLogs {
    records: Arc<Mutex<Vec<Record>>>,
    slow: Option<Duration>,
}

impl LogExporter for KeepLogs {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        if let Some(slow) = self.slow {
            std::thread::sleep(slow);
        }
        let mut records = self.records.lock().unwrap();
        for (record, _) in batch.iter() {
            records.push(Record {
                body: match record.body() {
                    Some(opentelemetry::logs::AnyValue::String(body)) => body.to_string(),
                    other => format!("{other:?}"),
                },
                span_id: record
                    .trace_context()
                    .map(|context| context.span_id.to_string()),
            });
        }
        Ok(())
    }
}

/// What one traced call with one event left, set up with `events`: the
/// log records, and the names of its span's events.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    records: Vec<Record>,
    span_events: Vec<String>,
    span_id: String,
}

fn one_event(events: Option<TracingEvents>) -> Kept {
    let spans = Keep::default();
    let logs = KeepLogs::default();
    let mut builder = otel_runtime::builder()
        .span_exporter(spans.clone())
        .log_exporter(logs.clone());
    if let Some(events) = events {
        builder = builder.tracing_events(events);
    }
    let guard = builder.init().unwrap();
    #[traced]
    fn work() {
        tracing::info!(step = 1, "working");
    }
    work();
    drop(guard);
    let spans = spans.0.lock().unwrap();
    let records = logs.records.lock().unwrap().clone();
    Kept {
        records,
        span_events: spans[0].events.iter().map(|e| e.name.to_string()).collect(),
        span_id: spans[0].span_context.span_id().to_string(),
    }
}

#[test]
fn events_are_log_records_by_default() {
    let by_default = support::in_child(&[], || one_event(None)).returned;
    assert_eq!(
        by_default.records,
        [Record {
            body: "working".into(),
            span_id: Some(by_default.span_id.clone())
        }]
    );
    assert!(by_default.span_events.is_empty(), "{by_default:?}");
}

#[test]
fn events_are_span_events_by_choice() {
    let as_events = support::in_child(&[], || one_event(Some(TracingEvents::SpanEvents))).returned;
    assert!(as_events.records.is_empty(), "{as_events:?}");
    assert_eq!(as_events.span_events, ["working"]);
}

#[test]
fn events_are_both_by_choice() {
    let both = support::in_child(&[], || one_event(Some(TracingEvents::Both))).returned;
    assert_eq!(both.records.len(), 1, "{both:?}");
    assert_eq!(both.span_events, ["working"]);
}

/// With `OTEL_LOGS_EXPORTER=none` there is no log record to make, and an
/// event stays a span event rather than be lost.
#[test]
fn without_a_logs_exporter_events_stay_span_events() {
    let kept = support::in_child(&[("OTEL_LOGS_EXPORTER", "none")], || {
        let spans = Keep::default();
        let guard = otel_runtime::builder()
            .span_exporter(spans.clone())
            .init()
            .unwrap();
        #[traced]
        fn work() {
            log::warn!("disk almost full");
        }
        work();
        drop(guard);
        let spans = spans.0.lock().unwrap();
        spans[0]
            .events
            .iter()
            .map(|event| event.name.to_string())
            .collect::<Vec<_>>()
    })
    .returned;
    assert_eq!(kept, ["disk almost full"]);
}

/// An `ERROR` event marks its span failed whatever the setting, as an
/// `Err` does, and is a log record too.
#[test]
fn an_error_event_fails_its_span_and_is_a_log_record() {
    let (status, events, records) = support::in_child(&[], || {
        let spans = Keep::default();
        let logs = KeepLogs::default();
        let guard = otel_runtime::builder()
            .span_exporter(spans.clone())
            .log_exporter(logs.clone())
            .init()
            .unwrap();
        #[traced]
        fn work() {
            tracing::error!("payment refused");
        }
        work();
        drop(guard);
        let spans = spans.0.lock().unwrap();
        let events: Vec<String> = spans[0].events.iter().map(|e| e.name.to_string()).collect();
        let records = logs.records.lock().unwrap().len();
        (format!("{:?}", spans[0].status), events, records)
    })
    .returned;
    assert!(status.contains("payment refused"), "{status}");
    assert_eq!(events, ["exception"]);
    assert_eq!(records, 1);
}

/// A collector that is down: nothing blocks, and every record is counted
/// as lost in the guard's report.
#[test]
fn a_collector_that_is_down_loses_records_and_says_so() {
    let closed = support::closed_port();
    let endpoint = format!("http://127.0.0.1:{}", closed.port());
    let ended = support::child(|| {
        let guard = otel_runtime::init().unwrap();
        for n in 0..20 {
            log::info!("record {n}");
        }
        drop(guard);
    })
    .run_until(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
        ],
        Duration::from_secs(30),
    );
    assert!(ended.succeeded(), "{}", ended.stderr);
    assert!(
        ended
            .stderr
            .contains("otel_runtime: 20 log records were lost (20 in failed exports"),
        "{}",
        ended.stderr
    );
}

/// A flood against a slow exporter: the program never waits for it, the
/// queue stays bounded, and what it drops is counted and reported.
#[test]
fn a_flood_of_records_is_bounded_and_counted() {
    let (stats, exported, stderr) = {
        let printed = support::in_child(
            &[
                ("OTEL_BLRP_MAX_QUEUE_SIZE", "64"),
                ("OTEL_BLRP_SCHEDULE_DELAY", "10"),
            ],
            || {
                let logs = KeepLogs {
                    slow: Some(Duration::from_millis(50)),
                    ..KeepLogs::default()
                };
                let guard = otel_runtime::builder()
                    .no_exporter()
                    .log_exporter(logs.clone())
                    .init()
                    .unwrap();
                for n in 0..5_000 {
                    log::info!("record {n}");
                }
                drop(guard);
                let stats = otel_runtime::log_export_stats();
                let exported = logs.records.lock().unwrap().len() as u64;
                (
                    (stats.ended, stats.dropped, stats.exported, stats.failed),
                    exported,
                )
            },
        );
        (printed.returned.0, printed.returned.1, printed.stderr)
    };
    let (ended, dropped, delivered, failed) = stats;
    assert_eq!(ended, 5_000);
    assert!(dropped > 0, "{stats:?}");
    assert_eq!(failed, 0);
    assert_eq!(delivered, exported);
    assert_eq!(dropped + delivered, ended, "{stats:?}");
    assert!(
        stderr.contains("OTEL_BLRP_MAX_QUEUE_SIZE")
            && stderr.contains(&format!("{dropped} log records were lost")),
        "{stderr}"
    );
}
