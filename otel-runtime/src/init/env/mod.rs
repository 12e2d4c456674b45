//! The OpenTelemetry environment variables this crate reads, with the
//! specification's names and defaults. A bad value is reported (its name,
//! its value, what is used instead) and never stops the program.
//!
//! Each variable is one row of the table in `rows.rs`: its name, how its
//! value is parsed (`parse.rs`), its default, and the field it goes to.
//! The few rules that span several variables run after the rows
//! (`rules.rs`).

mod parse;
mod rows;
mod rules;

use std::fmt;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{Sampler, SpanLimits};

use parse::SamplerChoice;

/// `OTEL_EXPORTER_OTLP_PROTOCOL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `grpc`.
    Grpc,
    /// `http/protobuf`, the specification's default.
    HttpProtobuf,
    /// `http/json`, with the `otlp-json` feature.
    HttpJson,
}

impl OtlpProtocol {
    /// The specification's default, `http/protobuf`, unless this build has
    /// only the gRPC transport: then `grpc`, which it can use.
    pub(crate) const DEFAULT: OtlpProtocol =
        if cfg!(feature = "otlp-grpc") && !cfg!(feature = "otlp-http") {
            OtlpProtocol::Grpc
        } else {
            OtlpProtocol::HttpProtobuf
        };

    /// The value of `OTEL_EXPORTER_OTLP_PROTOCOL` that names it.
    #[cfg_attr(
        not(any(feature = "otlp-grpc", feature = "otlp-http")),
        allow(dead_code)
    )]
    pub(crate) fn name(self) -> &'static str {
        match self {
            OtlpProtocol::Grpc => "grpc",
            OtlpProtocol::HttpProtobuf => "http/protobuf",
            OtlpProtocol::HttpJson => "http/json",
        }
    }
}

/// Where spans go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExporterKind {
    /// Each finished trace printed as a waterfall tree on standard output.
    Console,
    /// OTLP to a collector (`OTEL_EXPORTER_OTLP_*`).
    Otlp,
}

/// One variable whose value could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Problem {
    /// The variable's name.
    pub variable: &'static str,
    /// Its value, as set.
    pub value: String,
    /// What was wrong, and what is used instead.
    pub why: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={}: {}",
            self.variable,
            excerpt(&self.value),
            self.why
        )
    }
}

/// The most characters of a value that a report shows.
const SHOWN: usize = 100;

/// `text` quoted and escaped as `Debug` does, cut after [`SHOWN`]
/// characters: a 64 KiB value would bury the report (and the terminal).
pub(crate) fn excerpt(text: &str) -> String {
    let length = text.chars().count();
    if length <= SHOWN {
        return format!("{text:?}");
    }
    let kept: String = text.chars().take(SHOWN).collect();
    format!("{kept:?}… ({length} characters)")
}

/// The settings read from the environment.
#[derive(Debug)]
pub struct EnvConfig {
    /// `OTEL_SDK_DISABLED=true`.
    pub disabled: bool,
    /// `OTEL_SERVICE_NAME`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`.
    pub resource_attributes: Vec<KeyValue>,
    /// `OTEL_TRACES_EXPORTER`; `None` when unset.
    pub exporters: Option<Vec<ExporterKind>>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub otlp_endpoint: Endpoint,
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else `OTEL_EXPORTER_OTLP_HEADERS`:
    /// the usable entries, decoded.
    pub otlp_headers: Vec<(String, String)>,
    /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub otlp_protocol: OtlpProtocol,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: Sampler,
    /// What [`EnvConfig::sampler`] decides for root spans: the sampler it
    /// delegates them to, when it is `ParentBased`.
    pub root_sampler: Sampler,
    /// `OTEL_PROPAGATORS`: whether W3C trace context and baggage are on.
    pub propagators: Propagators,
    /// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT`:
    /// how long one export may take.
    pub otlp_timeout: Duration,
    /// The certificate files of the `OTEL_EXPORTER_OTLP_*CERTIFICATE` and
    /// `…CLIENT_KEY` variables.
    pub tls: TlsFiles,
    /// The count limits (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` and friends).
    pub span_limits: SpanLimits,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, at most [`MAX_QUEUE_SIZE`]: how many
    /// finished spans may wait for their export.
    pub max_queue_size: usize,
    /// `OTEL_BSP_SCHEDULE_DELAY`: the longest a finished span waits for its
    /// export.
    pub schedule_delay: Duration,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, at most the queue's size: the most
    /// spans in one export.
    pub max_export_batch_size: usize,
    /// `OTEL_BSP_MAX_CONCURRENT_EXPORTS`, at most
    /// [`MAX_CONCURRENT_EXPORTS`]: the most OTLP requests of spans in
    /// flight at once.
    pub max_concurrent_exports: usize,
    /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`: the most characters a text
    /// value keeps; `None` for no limit, the specification's default.
    pub value_length_limit: Option<usize>,
    /// The logs' settings (`OTEL_LOGS_EXPORTER`, `OTEL_BLRP_*`, OTLP's).
    pub logs: LogsEnv,
    /// The metrics' settings (`OTEL_METRICS_EXPORTER`,
    /// `OTEL_METRIC_EXPORT_*`, OTLP's).
    pub metrics: MetricsEnv,
    /// Values that could not be used.
    pub problems: Vec<Problem>,
}

/// Where the items of a signal other than spans go, and OTLP's settings
/// for them: the spans' settings, each read from the signal's own variable
/// (`OTEL_EXPORTER_OTLP_LOGS_*`, `…_METRICS_*`) first, then the general one.
#[derive(Debug)]
pub struct SignalEnv {
    /// `OTEL_LOGS_EXPORTER`, `OTEL_METRICS_EXPORTER`; `None` when unset.
    pub exporters: Option<Vec<ExporterKind>>,
    /// Where OTLP sends them.
    pub otlp_endpoint: Endpoint,
    /// The headers of each OTLP request.
    pub otlp_headers: Vec<(String, String)>,
    /// The OTLP protocol.
    pub otlp_protocol: OtlpProtocol,
    /// How long one export may take.
    pub otlp_timeout: Duration,
    /// The certificate files.
    pub tls: TlsFiles,
}

impl SignalEnv {
    /// Where the rows start (each value is overwritten).
    fn blank() -> Self {
        SignalEnv {
            exporters: None,
            otlp_endpoint: Endpoint::Invalid,
            otlp_headers: Vec::new(),
            otlp_protocol: OtlpProtocol::HttpProtobuf,
            otlp_timeout: Duration::ZERO,
            tls: TlsFiles::default(),
        }
    }
}

/// Where log records go, and their batch processor.
#[derive(Debug)]
pub struct LogsEnv {
    /// Where, and OTLP's settings.
    pub export: SignalEnv,
    /// `OTEL_BLRP_MAX_QUEUE_SIZE`, at most [`MAX_QUEUE_SIZE`].
    pub max_queue_size: usize,
    /// `OTEL_BLRP_SCHEDULE_DELAY`.
    pub schedule_delay: Duration,
    /// `OTEL_BLRP_MAX_EXPORT_BATCH_SIZE`, at most the queue's size.
    pub max_export_batch_size: usize,
}

/// Where metrics go, and how often.
#[derive(Debug)]
pub struct MetricsEnv {
    /// Where, and OTLP's settings.
    pub export: SignalEnv,
    /// `OTEL_METRIC_EXPORT_INTERVAL`: how often they are read and sent.
    pub interval: Duration,
    /// `OTEL_METRIC_EXPORT_TIMEOUT`: how long reading and sending may take.
    pub export_timeout: Duration,
}

/// A variable that names a file, kept with its name so that a file that
/// cannot be used is reported by the variable that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The variable's name.
    pub variable: &'static str,
    /// Its value.
    pub value: String,
}

/// The PEM files for OTLP over TLS; each read from the `…TRACES_…`
/// variable first, then the general one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`: the certificate authority that the
    /// collector's certificate must chain to (instead of the system's).
    pub certificate: Option<Setting>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`: ours, for mutual TLS.
    pub client_certificate: Option<Setting>,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`: its private key.
    pub client_key: Option<Setting>,
}

/// Where OTLP goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Nothing set: the protocol's default, on this host.
    Default(String),
    /// The URL to send to, resolved as the specification says (the
    /// general variable with the signal's path for HTTP, the scheme from
    /// `OTEL_EXPORTER_OTLP_INSECURE` for gRPC).
    Set(String),
    /// Set, but not a URL (reported): there is no OTLP exporter.
    Invalid,
}

impl Endpoint {
    /// The URL, unless it is [`Endpoint::Invalid`].
    #[cfg_attr(
        not(any(feature = "otlp-grpc", feature = "otlp-http")),
        allow(dead_code)
    )]
    pub fn url(&self) -> Option<&str> {
        match self {
            Endpoint::Default(url) | Endpoint::Set(url) => Some(url),
            Endpoint::Invalid => None,
        }
    }
}

/// The most spans the batch processor may queue. Waiting spans hold memory
/// (some 300 bytes each, and their attributes), so a queue of millions, set
/// by a slip of the keyboard, would let a slow collector take gigabytes.
pub const MAX_QUEUE_SIZE: usize = 65_536;

/// The most span exports in flight at once: each holds its request (a
/// batch's worth of bytes) until the collector answers.
pub const MAX_CONCURRENT_EXPORTS: usize = 64;

/// The propagators of `OTEL_PROPAGATORS` this crate supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Propagators {
    /// `tracecontext`: the W3C `traceparent` and `tracestate` headers.
    pub trace_context: bool,
    /// `baggage`: the W3C `baggage` header.
    pub baggage: bool,
    /// `b3`: Zipkin's single `b3` header (needs the `b3` feature).
    pub b3: bool,
    /// `b3multi`: Zipkin's `X-B3-*` headers (needs the `b3` feature).
    pub b3_multi: bool,
}

impl Propagators {
    /// The specification's default: `tracecontext,baggage`.
    pub const DEFAULT: Self = Propagators {
        trace_context: true,
        baggage: true,
        b3: false,
        b3_multi: false,
    };
    const NONE: Self = Propagators {
        trace_context: false,
        baggage: false,
        b3: false,
        b3_multi: false,
    };
}

impl EnvConfig {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads through `lookup`, so that tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut draft = Draft::blank();
        for row in rows::all() {
            row.read(&lookup, &mut draft);
        }
        draft.finish()
    }
}

/// What the rows fill in: the configuration, and what the rules that span
/// several variables read.
struct Draft {
    config: EnvConfig,
    /// `OTEL_EXPORTER_OTLP_TRACES_INSECURE`, else `…_INSECURE`.
    insecure: bool,
    /// The endpoint variable that is set, as set: which of the two it is
    /// decides the path (`rules::endpoint`).
    endpoint: Option<Setting>,
    /// The same two for logs, and for metrics.
    logs_insecure: bool,
    logs_endpoint: Option<Setting>,
    metrics_insecure: bool,
    metrics_endpoint: Option<Setting>,
    /// `OTEL_TRACES_SAMPLER`.
    sampler: SamplerChoice,
    /// `OTEL_TRACES_SAMPLER_ARG`: the ratio, or the report of a bad one,
    /// made only if the sampler reads a ratio.
    sampler_arg: Result<f64, Problem>,
    /// The variables read, in order: reports are listed in this order.
    read: Vec<&'static str>,
}

impl Draft {
    /// Where the rows start. Each of these values is overwritten, by a row
    /// (with the value read or its default) or by a rule
    /// (`nothing_set_gives_the_specification_defaults_everywhere` checks).
    fn blank() -> Self {
        let config = EnvConfig {
            disabled: false,
            service_name: None,
            resource_attributes: Vec::new(),
            exporters: None,
            otlp_endpoint: Endpoint::Invalid,
            otlp_headers: Vec::new(),
            otlp_protocol: OtlpProtocol::HttpProtobuf,
            sampler: Sampler::AlwaysOff,
            root_sampler: Sampler::AlwaysOff,
            propagators: Propagators::NONE,
            otlp_timeout: Duration::ZERO,
            tls: TlsFiles::default(),
            span_limits: SpanLimits::default(),
            max_queue_size: 0,
            schedule_delay: Duration::ZERO,
            max_export_batch_size: 0,
            max_concurrent_exports: 0,
            value_length_limit: None,
            logs: LogsEnv {
                export: SignalEnv::blank(),
                max_queue_size: 0,
                schedule_delay: Duration::ZERO,
                max_export_batch_size: 0,
            },
            metrics: MetricsEnv {
                export: SignalEnv::blank(),
                interval: Duration::ZERO,
                export_timeout: Duration::ZERO,
            },
            problems: Vec::new(),
        };
        Draft {
            config,
            insecure: false,
            endpoint: None,
            logs_insecure: false,
            logs_endpoint: None,
            metrics_insecure: false,
            metrics_endpoint: None,
            sampler: SamplerChoice::PARENTBASED_ALWAYS_ON,
            sampler_arg: Ok(1.0),
            read: Vec::new(),
        }
    }

    /// `setting` through `parse`, its problems kept, its name noted.
    fn parse<T>(&mut self, parse: parse::Parse<T>, setting: &Setting) -> Option<T> {
        self.read.push(setting.variable);
        parse(setting, &mut self.config.problems)
    }

    /// The rules that span several variables, once every row is read.
    fn finish(mut self) -> EnvConfig {
        let config = &mut self.config;
        config.otlp_endpoint = rules::endpoint(
            &rules::TRACES,
            self.endpoint.as_ref(),
            config.otlp_protocol,
            self.insecure,
            &mut config.problems,
        );
        config.logs.export.otlp_endpoint = rules::endpoint(
            &rules::LOGS,
            self.logs_endpoint.as_ref(),
            config.logs.export.otlp_protocol,
            self.logs_insecure,
            &mut config.problems,
        );
        config.metrics.export.otlp_endpoint = rules::endpoint(
            &rules::METRICS,
            self.metrics_endpoint.as_ref(),
            config.metrics.export.otlp_protocol,
            self.metrics_insecure,
            &mut config.problems,
        );
        (config.sampler, config.root_sampler) =
            rules::samplers(self.sampler, &self.sampler_arg, &mut config.problems);
        rules::fit_batch_to_queue(config);
        rules::in_reading_order(&mut config.problems, &self.read);
        self.config
    }
}

/// `url` with the `user:password@` part of its authority replaced by
/// `…@`, so that reports never show credentials.
pub(crate) fn without_password(url: &str) -> String {
    let start = url.find("://").map_or(0, |at| at + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}…{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> EnvConfig {
        EnvConfig::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn nothing_set_gives_the_specification_defaults() {
        let config = read(&[]);
        assert!(!config.disabled);
        assert_eq!(config.exporters, None);
        assert!(matches!(config.sampler, Sampler::ParentBased(_)));
        assert_eq!(config.propagators, Propagators::DEFAULT);
        assert_eq!(config.max_queue_size, 2048);
        assert_eq!(config.schedule_delay, Duration::from_secs(5));
        assert_eq!(config.max_export_batch_size, 512);
        assert_eq!(config.max_concurrent_exports, 1);
        assert!(config.problems.is_empty());
    }

    #[test]
    fn the_batch_settings_are_read_and_a_batch_fits_the_queue() {
        let config = read(&[
            ("OTEL_BSP_SCHEDULE_DELAY", "250"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "100"),
        ]);
        assert_eq!(config.schedule_delay, Duration::from_millis(250));
        assert_eq!(config.max_export_batch_size, 100);
        assert!(config.problems.is_empty());
        let config = read(&[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"),
        ]);
        assert_eq!(config.max_export_batch_size, 64);
        let config = read(&[("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0")]);
        assert_eq!(config.max_export_batch_size, 512);
        assert_eq!(
            config.problems[0].to_string(),
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"0\": a batch of 0 would export nothing; using the default"
        );
    }

    #[test]
    fn b3_and_b3multi_are_chosen_and_jaeger_is_reported() {
        let config = read(&[("OTEL_PROPAGATORS", "tracecontext, B3multi,b3,jaeger")]);
        assert_eq!(
            config.propagators,
            Propagators {
                trace_context: true,
                baggage: false,
                b3: cfg!(feature = "b3"),
                b3_multi: cfg!(feature = "b3"),
            }
        );
        let reported: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
        assert!(
            reported
                .iter()
                .any(|line| line.contains("jaeger is deprecated")),
            "{reported:?}"
        );
        let without_feature = usize::from(!cfg!(feature = "b3")) * 2;
        assert_eq!(reported.len(), 1 + without_feature, "{reported:?}");
    }

    #[test]
    fn concurrent_exports_are_from_one_to_the_most_allowed() {
        let exports = |value| read(&[("OTEL_BSP_MAX_CONCURRENT_EXPORTS", value)]);
        assert_eq!(exports("4").max_concurrent_exports, 4);
        let none = exports("0");
        assert_eq!(none.max_concurrent_exports, 1);
        assert_eq!(
            none.problems[0].to_string(),
            "OTEL_BSP_MAX_CONCURRENT_EXPORTS=\"0\": no export at all would export nothing; \
             using the default"
        );
        let many = exports("1000");
        assert_eq!(many.max_concurrent_exports, MAX_CONCURRENT_EXPORTS);
        assert!(
            many.problems[0]
                .to_string()
                .ends_with("using the most allowed, 64"),
            "{}",
            many.problems[0]
        );
    }

    #[test]
    fn a_queue_of_zero_would_drop_everything_and_keeps_the_default() {
        let config = read(&[("OTEL_BSP_MAX_QUEUE_SIZE", "0")]);
        assert_eq!(config.max_queue_size, 2048);
        assert_eq!(
            config.problems[0].to_string(),
            "OTEL_BSP_MAX_QUEUE_SIZE=\"0\": a queue of 0 would drop everything; using the default"
        );
        assert_eq!(
            read(&[("OTEL_BSP_MAX_QUEUE_SIZE", "10")]).max_queue_size,
            10
        );
    }

    #[test]
    fn good_values_are_read() {
        let config = read(&[
            ("OTEL_SDK_DISABLED", "TRUE"),
            ("OTEL_SERVICE_NAME", " checkout "),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=prod, team=pay%20ments",
            ),
            ("OTEL_TRACES_EXPORTER", "console,otlp"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
            ("OTEL_PROPAGATORS", "tracecontext"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "GRPC"),
        ]);
        assert!(config.disabled);
        assert_eq!(config.service_name.as_deref(), Some("checkout"));
        assert_eq!(
            config.resource_attributes,
            vec![
                KeyValue::new("deployment.environment", "prod"),
                KeyValue::new("team", "pay ments")
            ]
        );
        assert_eq!(
            config.exporters,
            Some(vec![ExporterKind::Console, ExporterKind::Otlp])
        );
        assert!(matches!(config.sampler, Sampler::TraceIdRatioBased(r) if r == 0.25));
        assert_eq!(
            config.propagators,
            Propagators {
                baggage: false,
                ..Propagators::DEFAULT
            }
        );
        assert!(config.problems.is_empty(), "{:?}", config.problems);
    }

    /// Both ways, so that a build with and one without the feature (the
    /// workspace's tests, and `cargo test -p otel-runtime`) check each.
    #[test]
    fn http_json_needs_its_feature_and_says_so() {
        let config = read(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]);
        if cfg!(feature = "otlp-json") {
            assert_eq!(config.otlp_protocol, OtlpProtocol::HttpJson);
            assert!(config.problems.is_empty(), "{:?}", config.problems);
        } else {
            assert_eq!(config.otlp_protocol, OtlpProtocol::HttpProtobuf);
            let [problem] = config.problems.as_slice() else {
                panic!("{:?}", config.problems);
            };
            assert_eq!(problem.variable, "OTEL_EXPORTER_OTLP_PROTOCOL");
            assert!(
                problem.why.contains("`otlp-json` feature"),
                "{}",
                problem.why
            );
        }
    }

    #[test]
    fn bad_values_are_reported_with_name_value_and_fallback() {
        let config = read(&[
            ("OTEL_SDK_DISABLED", "yes"),
            ("OTEL_RESOURCE_ATTRIBUTES", "ok=1,broken,bad=%zz"),
            ("OTEL_TRACES_EXPORTER", "zipkin"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "-3"),
            ("OTEL_PROPAGATORS", "ottrace"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
        ]);
        let shown: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 7, "{shown:#?}");
        assert!(
            shown[0].starts_with("OTEL_SDK_DISABLED=\"yes\": expected true or false; using false")
        );
        assert!(shown[1].contains("\"broken\" is not key=value"));
        assert!(shown[2].contains("\"bad=%zz\""));
        assert!(shown[3].contains("unknown exporter \"zipkin\""));
        assert!(
            shown[4].starts_with("OTEL_EXPORTER_OTLP_PROTOCOL=\"carrier-pigeon\": expected grpc")
        );
        assert!(shown[5].starts_with(
            "OTEL_TRACES_SAMPLER_ARG=\"-3\": expected a number from 0 to 1; using 1.0"
        ));
        assert!(shown[6].contains("unsupported propagator \"ottrace\""));
        assert!(!config.disabled);
        assert_eq!(config.resource_attributes, vec![KeyValue::new("ok", "1")]);
        assert_eq!(config.exporters, Some(vec![]));
    }

    #[test]
    fn limits_and_timeouts_prefer_the_specific_variable() {
        let config = read(&[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "7"),
            ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "3"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "99999999999"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"),
            ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "12"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                " /etc/traces-ca.pem ",
            ),
        ]);
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        assert_eq!(config.otlp_timeout, Duration::from_millis(2500));
        assert_eq!(config.span_limits.max_attributes_per_span, 7);
        assert_eq!(config.span_limits.max_attributes_per_link, 7);
        assert_eq!(config.span_limits.max_attributes_per_event, 3);
        assert_eq!(config.span_limits.max_events_per_span, u32::MAX);
        assert_eq!(config.span_limits.max_links_per_span, 128);
        assert_eq!(config.value_length_limit, Some(12));
        assert_eq!(
            config.tls.certificate,
            Some(Setting {
                variable: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                value: "/etc/traces-ca.pem".to_owned()
            })
        );
        let defaults = read(&[]);
        assert_eq!(defaults.otlp_timeout, Duration::from_secs(10));
        assert_eq!(defaults.value_length_limit, None);
        assert_eq!(defaults.tls, TlsFiles::default());
    }

    #[test]
    fn bad_numbers_keep_the_default_and_say_so() {
        let config = read(&[
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-1"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "18446744073709551616"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "big"),
        ]);
        let shown: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=\"10s\": expected milliseconds, a whole number from 0; using the default",
                "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=\"-1\": expected a count, a whole number from 0; using the default",
                "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"18446744073709551616\": expected a number of characters, a whole number from 0; using the default",
                "OTEL_BSP_MAX_QUEUE_SIZE=\"big\": expected a count, a whole number from 0; using the default",
            ]
        );
        assert_eq!(config.otlp_timeout, Duration::from_secs(10));
        assert_eq!(config.span_limits.max_attributes_per_span, 128);
        assert_eq!(config.value_length_limit, None);
    }

    #[test]
    fn empty_and_overflowing_values_never_panic() {
        for value in [
            "",
            " ",
            "1e999",
            "NaN",
            "-0",
            "18446744073709551616",
            "%",
            "=",
            ",,,",
        ] {
            for variable in [
                "OTEL_SDK_DISABLED",
                "OTEL_RESOURCE_ATTRIBUTES",
                "OTEL_TRACES_EXPORTER",
                "OTEL_TRACES_SAMPLER",
                "OTEL_TRACES_SAMPLER_ARG",
                "OTEL_PROPAGATORS",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "OTEL_EXPORTER_OTLP_TIMEOUT",
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
                "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
            ] {
                let _ = read(&[(variable, value), ("OTEL_TRACES_SAMPLER", "traceidratio")]);
            }
        }
    }

    #[test]
    fn header_reports_name_the_bad_entry_and_show_no_value() {
        let config = read(&[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "authorization=Bearer%20s3cr3t,broken-entry,Bearer s3cr3t2,x-key=",
        )]);
        assert_eq!(
            config.otlp_headers,
            [("authorization".to_owned(), "Bearer s3cr3t".to_owned())]
        );
        let shown: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 3, "{shown:#?}");
        assert!(shown[0].starts_with(
            "OTEL_EXPORTER_OTLP_HEADERS=\"authorization=…,broken-entry,Bearer…,x-key=…\": \
             the entry with key \"broken-entry\" is not name=value"
        ));
        assert!(shown[1].contains("the entry with key \"Bearer…\""));
        assert!(shown[2].contains("the entry with key \"x-key\""));
        assert!(!shown.concat().contains("s3cr3t"), "{shown:#?}");
    }

    #[test]
    fn a_blank_specific_variable_does_not_hide_the_general_one() {
        let config = read(&[
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", " "),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=k"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ""),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
        ]);
        assert_eq!(
            config.otlp_headers,
            [("api-key".to_owned(), "k".to_owned())]
        );
        assert_eq!(
            config.otlp_endpoint,
            Endpoint::Set("http://collector:4318/v1/traces".to_owned())
        );
        assert!(config.problems.is_empty(), "{:?}", config.problems);
    }

    #[test]
    fn endpoints_follow_the_specification_and_bad_ones_hide_passwords() {
        let grpc = |vars: &[(&str, &str)]| {
            let mut all = vec![("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")];
            all.extend_from_slice(vars);
            read(&all).otlp_endpoint
        };
        assert_eq!(
            read(&[]).otlp_endpoint,
            Endpoint::Default("http://localhost:4318/v1/traces".to_owned())
        );
        assert_eq!(
            grpc(&[]),
            Endpoint::Default("http://localhost:4317".to_owned())
        );
        assert_eq!(
            grpc(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")]),
            Endpoint::Set("https://collector:4317".to_owned())
        );
        assert_eq!(
            grpc(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
                ("OTEL_EXPORTER_OTLP_INSECURE", "true")
            ]),
            Endpoint::Set("http://collector:4317".to_owned())
        );
        assert_eq!(
            read(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c/custom")]).otlp_endpoint,
            Endpoint::Set("http://c/custom".to_owned())
        );
        let config = read(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://user:p4ssw0rd@bad host:1/",
        )]);
        assert_eq!(config.otlp_endpoint, Endpoint::Invalid);
        let shown = config.problems[0].to_string();
        assert!(
            shown.starts_with(
                "OTEL_EXPORTER_OTLP_ENDPOINT=\"http://…@bad host:1/\": not an OTLP endpoint"
            ),
            "{shown}"
        );
        assert_eq!(without_password("user:pw@host"), "…@host");
        assert_eq!(without_password("http://h/p@th"), "http://h/p@th");
    }

    #[test]
    fn a_value_read_for_several_settings_is_reported_once_and_cut_short() {
        let huge = "y".repeat(5000);
        let config = read(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", huge.as_str()),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "18446744073709551615"),
        ]);
        let shown: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:#?}");
        assert!(shown[0].starts_with(&format!(
            "OTEL_ATTRIBUTE_COUNT_LIMIT=\"{}\"… (5000 characters): expected a count",
            "y".repeat(100)
        )));
        assert!(
            shown[1].ends_with("using the most allowed, 65536"),
            "{}",
            shown[1]
        );
        assert_eq!(config.max_queue_size, MAX_QUEUE_SIZE);
    }

    #[test]
    fn nothing_set_gives_the_specification_defaults_everywhere() {
        let config = read(&[]);
        let debug = |value: &dyn fmt::Debug| format!("{value:?}");
        assert_eq!(config.service_name, None);
        assert!(config.resource_attributes.is_empty());
        assert_eq!(
            config.otlp_endpoint,
            Endpoint::Default("http://localhost:4318/v1/traces".to_owned())
        );
        assert!(config.otlp_headers.is_empty());
        assert_eq!(config.otlp_protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(
            debug(&config.sampler),
            debug(&Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        );
        assert_eq!(debug(&config.root_sampler), debug(&Sampler::AlwaysOn));
        assert_eq!(config.otlp_timeout, Duration::from_secs(10));
        assert_eq!(config.tls, TlsFiles::default());
        // The rows say 128 for each count; the SDK's defaults must agree.
        assert_eq!(debug(&config.span_limits), debug(&SpanLimits::default()));
        assert_eq!(config.value_length_limit, None);
    }

    /// The variables README.md's table names: `…_X` is
    /// `OTEL_EXPORTER_OTLP_X`, and `OTEL_BSP_*` stands for several.
    fn documented() -> Vec<String> {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        readme
            .lines()
            .filter(|line| line.starts_with("| `OTEL_"))
            .flat_map(|line| line.split('`').skip(1).step_by(2))
            .filter_map(|code| match code.strip_prefix("…_") {
                Some(rest) => Some(format!("OTEL_EXPORTER_OTLP_{rest}")),
                None => code.starts_with("OTEL_").then(|| code.to_owned()),
            })
            // `…_TRACES_…`: the signal's own variables, checked below.
            .filter(|name| !name.contains('…'))
            .collect()
    }

    #[test]
    fn every_variable_readme_names_has_a_row_and_every_row_is_documented() {
        let documented = documented();
        assert!(documented.len() > 20, "{documented:?}");
        let names: Vec<&str> = rows::all().flat_map(|row| row.names()).copied().collect();
        let is_documented = |name: &str| {
            documented
                .iter()
                .any(|documented| match documented.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => documented == name,
                })
        };
        for name in &documented {
            let read = match name.strip_suffix('*') {
                Some(prefix) => names.iter().any(|read| read.starts_with(prefix)),
                None => names.contains(&name.as_str()),
            };
            assert!(read, "README.md names {name}, which no row reads");
        }
        // The table documents a pair by its general variable.
        for name in names {
            assert!(
                is_documented(name)
                    || is_documented(&name.replace("_TRACES_", "_"))
                    || is_documented(&name.replace("_LOGS_", "_"))
                    || is_documented(&name.replace("_METRICS_", "_")),
                "{name} is read but not in README.md's table"
            );
        }
    }

    /// A general variable may stand in for several settings
    /// (`OTEL_ATTRIBUTE_COUNT_LIMIT`), but a variable that a row reads
    /// first is read by that row alone.
    #[test]
    fn no_variable_heads_two_rows() {
        let heads: Vec<&str> = rows::all().map(|row| row.names()[0]).collect();
        for row in rows::all() {
            let names = row.names();
            for (at, name) in names.iter().enumerate() {
                assert!(name.starts_with("OTEL_"), "{name}");
                assert!(!names[..at].contains(name), "{name} twice in one row");
                let rows_headed = heads.iter().filter(|head| *head == name).count();
                let expected = usize::from(at == 0);
                assert_eq!(rows_headed, expected, "{name} heads {rows_headed} rows");
            }
        }
    }

    #[test]
    fn reports_follow_the_table_even_those_of_the_rules() {
        let config = read(&[
            ("OTEL_PROPAGATORS", "ottrace"),
            ("OTEL_TRACES_SAMPLER_ARG", "2"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "broken"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://x"),
            ("OTEL_EXPORTER_OTLP_INSECURE", "maybe"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "5"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "many"),
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "lots"),
        ]);
        let order: Vec<&str> = config.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            order,
            [
                "OTEL_EXPORTER_OTLP_INSECURE",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "OTEL_EXPORTER_OTLP_HEADERS",
                "OTEL_TRACES_SAMPLER_ARG",
                "OTEL_PROPAGATORS",
                "OTEL_SPAN_EVENT_COUNT_LIMIT",
                // Read for the event and the link attributes: reported once.
                "OTEL_ATTRIBUTE_COUNT_LIMIT",
            ]
        );
    }

    #[test]
    fn a_bad_ratio_is_reported_only_when_the_sampler_reads_one() {
        let problems = |vars: &[(&str, &str)]| read(vars).problems.len();
        assert_eq!(problems(&[("OTEL_TRACES_SAMPLER_ARG", "2")]), 0);
        assert_eq!(
            problems(&[
                ("OTEL_TRACES_SAMPLER", "always_on"),
                ("OTEL_TRACES_SAMPLER_ARG", "2")
            ]),
            0
        );
        let config = read(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "2"),
        ]);
        assert_eq!(config.problems.len(), 1, "{:?}", config.problems);
        assert_eq!(
            format!("{:?}", config.root_sampler),
            format!("{:?}", Sampler::TraceIdRatioBased(1.0))
        );
    }

    /// As `opentelemetry-otlp` reads them: the general variable counts
    /// only when the specific one is unset or bad.
    #[test]
    fn compression_falls_back_to_the_general_variable_only_past_a_bad_one() {
        let reported = |specific: &str, general: &str| -> Vec<&'static str> {
            let config = read(&[
                ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", specific),
                ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", specific),
                ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", specific),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", general),
            ]);
            config.problems.iter().map(|p| p.variable).collect()
        };
        assert!(reported("gzip", "zip").is_empty());
        assert_eq!(reported("", "zip"), ["OTEL_EXPORTER_OTLP_COMPRESSION"]);
        assert_eq!(
            reported("lz4", "zip"),
            [
                "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                "OTEL_EXPORTER_OTLP_COMPRESSION",
                "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
                "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
            ]
        );
    }
}
