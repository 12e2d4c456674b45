//! The rules that span several variables, run once every row is read.

use std::collections::HashSet;

use opentelemetry_sdk::trace::Sampler;

use super::OtlpProtocol;
use super::parse::{Root, SamplerChoice, problem};
use super::{Endpoint, EnvConfig, Problem, Setting, without_password};

/// The URL to export to, from the endpoint variable that is set (`set`),
/// the protocol and `…_INSECURE`, as the specification says. We resolve it
/// rather than `opentelemetry-otlp`, which reads a blank value as a URL
/// (and fails), and whose error for a bad one echoes it whole, with any
/// password in it.
pub(super) fn endpoint(
    signal: &Signal,
    set: Option<&Setting>,
    protocol: OtlpProtocol,
    insecure: bool,
    problems: &mut Vec<Problem>,
) -> Endpoint {
    let grpc = protocol == OtlpProtocol::Grpc;
    let Some(set) = set else {
        return Endpoint::Default(default_endpoint(signal, grpc));
    };
    let url = with_scheme(with_path(signal, set, grpc), grpc, insecure);
    match check_url(&url) {
        Ok(()) => Endpoint::Set(url),
        Err(why) => {
            problems.push(problem(
                set.variable,
                &without_password(&set.value),
                format!(
                    "not an OTLP endpoint ({why}); no OTLP exporter (where one is asked \
                     for, the console is used instead)"
                ),
            ));
            Endpoint::Invalid
        }
    }
}

/// What tells the signals' endpoints apart.
pub(super) struct Signal {
    /// The signal's own endpoint variable.
    own_variable: &'static str,
    /// Its path on an HTTP collector.
    path: &'static str,
}

pub(super) const TRACES: Signal = Signal {
    own_variable: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    path: "/v1/traces",
};

pub(super) const LOGS: Signal = Signal {
    own_variable: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    path: "/v1/logs",
};

pub(super) const METRICS: Signal = Signal {
    own_variable: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    path: "/v1/metrics",
};

/// The collector on this host, on the protocol's port.
fn default_endpoint(signal: &Signal, grpc: bool) -> String {
    if grpc {
        "http://localhost:4317".to_owned()
    } else {
        format!("http://localhost:4318{}", signal.path)
    }
}

/// HTTP appends the signal's path to the general variable only: the
/// signal's own variable is the whole URL, and gRPC has no paths.
fn with_path(signal: &Signal, set: &Setting, grpc: bool) -> String {
    let url = set.value.trim();
    if grpc || set.variable == signal.own_variable {
        url.to_owned()
    } else {
        format!("{}{}", url.trim_end_matches('/'), signal.path)
    }
}

/// gRPC may leave the scheme out, and `…_INSECURE` chooses it.
fn with_scheme(url: String, grpc: bool, insecure: bool) -> String {
    let has_scheme = url
        .split_once("://")
        .is_some_and(|(scheme, _)| !scheme.contains(['/', '?', '#']));
    match (has_scheme, grpc, insecure) {
        (false, true, true) => format!("http://{url}"),
        (false, true, false) => format!("https://{url}"),
        _ => url,
    }
}

/// An `http` or `https` URL with a host, or why not.
fn check_url(url: &str) -> Result<(), String> {
    let uri = url
        .parse::<http::Uri>()
        .map_err(|error| error.to_string())?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(()),
        (Some("http" | "https"), _) => Err("no host".to_owned()),
        _ => Err("expected a URL starting http:// or https://".to_owned()),
    }
}

/// The sampler of `OTEL_TRACES_SAMPLER`, and the one it amounts to for
/// root spans. Only the ratio samplers read `OTEL_TRACES_SAMPLER_ARG`, so
/// only they report a bad one (`always_on` with any argument is fine).
pub(super) fn samplers(
    choice: SamplerChoice,
    arg: &Result<f64, Problem>,
    problems: &mut Vec<Problem>,
) -> (Sampler, Sampler) {
    let root = match choice.root {
        Root::AlwaysOn => Sampler::AlwaysOn,
        Root::AlwaysOff => Sampler::AlwaysOff,
        Root::TraceIdRatio => Sampler::TraceIdRatioBased(match arg {
            Ok(ratio) => *ratio,
            Err(bad) => {
                problems.push(bad.clone());
                1.0
            }
        }),
    };
    if choice.parent_based {
        (Sampler::ParentBased(Box::new(root.clone())), root)
    } else {
        (root.clone(), root)
    }
}

/// As the SDK does: a batch never waits for more spans than the queue
/// holds.
pub(super) fn fit_batch_to_queue(config: &mut EnvConfig) {
    config.max_export_batch_size = config.max_export_batch_size.min(config.max_queue_size);
    let logs = &mut config.logs;
    logs.max_export_batch_size = logs.max_export_batch_size.min(logs.max_queue_size);
}

/// The reports in the order their variables were read (`read`), as if the
/// rules above had run at their rows; and each once, since a variable read
/// for several settings (`OTEL_ATTRIBUTE_COUNT_LIMIT` stands in for three)
/// is reported by each.
pub(super) fn in_reading_order(problems: &mut Vec<Problem>, read: &[&'static str]) {
    let read_at = |problem: &Problem| {
        read.iter()
            .position(|&name| name == problem.variable)
            .unwrap_or(usize::MAX)
    };
    problems.sort_by_key(read_at);
    let mut seen = HashSet::new();
    problems.retain(|problem| seen.insert(problem.clone()));
}
