//! The OpenTelemetry environment variables this crate reads, with the
//! specification's names and defaults. A bad value is reported (its name,
//! its value, what is used instead) and never stops the program.

use std::fmt;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{Sampler, SpanLimits};

use super::otlp::OtlpProtocol;

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
    /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`: the most characters a text
    /// value keeps; `None` for no limit, the specification's default.
    pub value_length_limit: Option<usize>,
    /// Values that could not be used.
    pub problems: Vec<Problem>,
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

/// The specification's default for `OTEL_BSP_MAX_QUEUE_SIZE`.
const DEFAULT_QUEUE_SIZE: usize = 2048;

/// The specification's default for `OTEL_BSP_SCHEDULE_DELAY`.
const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_millis(5000);

/// The specification's default for `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
const DEFAULT_BATCH_SIZE: usize = 512;

/// The specification's default for `OTEL_EXPORTER_OTLP_TIMEOUT`.
const DEFAULT_OTLP_TIMEOUT: Duration = Duration::from_secs(10);

/// The propagators of `OTEL_PROPAGATORS` this crate supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Propagators {
    /// `tracecontext`: the W3C `traceparent` and `tracestate` headers.
    pub trace_context: bool,
    /// `baggage`: the W3C `baggage` header.
    pub baggage: bool,
}

impl Propagators {
    /// The specification's default: `tracecontext,baggage`.
    pub const DEFAULT: Self = Propagators {
        trace_context: true,
        baggage: true,
    };
    const NONE: Self = Propagators {
        trace_context: false,
        baggage: false,
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
        let mut problems = Vec::new();
        let var = |name: &'static str| lookup(name).filter(|value| !value.trim().is_empty());

        let disabled = var("OTEL_SDK_DISABLED").is_some_and(|value| {
            match value.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    problems.push(problem(
                        "OTEL_SDK_DISABLED",
                        &value,
                        "expected true or false; using false",
                    ));
                    false
                }
            }
        });
        let service_name = var("OTEL_SERVICE_NAME").map(|name| name.trim().to_owned());
        let resource_attributes = var("OTEL_RESOURCE_ATTRIBUTES")
            .map(|value| resource_attributes(&value, &mut problems))
            .unwrap_or_default();
        let exporters = var("OTEL_TRACES_EXPORTER").map(|value| exporters(&value, &mut problems));
        let otlp_protocol = match var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") {
            Some(value) => {
                otlp_protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", &value, &mut problems)
            }
            None => var("OTEL_EXPORTER_OTLP_PROTOCOL")
                .map(|value| otlp_protocol("OTEL_EXPORTER_OTLP_PROTOCOL", &value, &mut problems))
                .unwrap_or(OtlpProtocol::HttpProtobuf),
        };
        let insecure = flag_from(
            &[
                "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
                "OTEL_EXPORTER_OTLP_INSECURE",
            ],
            &var,
            &mut problems,
        );
        let otlp_endpoint = endpoint(
            var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            var("OTEL_EXPORTER_OTLP_ENDPOINT"),
            otlp_protocol,
            insecure,
            &mut problems,
        );
        let otlp_headers = [
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "OTEL_EXPORTER_OTLP_HEADERS",
        ]
        .into_iter()
        .find_map(|variable| var(variable).map(|value| headers(variable, &value, &mut problems)))
        .unwrap_or_default();
        // `opentelemetry-otlp` reads these itself, the specific one first,
        // and skips a value it cannot use without a word.
        for variable in [
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ] {
            let Some(value) = var(variable) else {
                continue;
            };
            match value.trim().to_ascii_lowercase().as_str() {
                "gzip" | "none" => break,
                _ => problems.push(problem(
                    variable,
                    &value,
                    "expected gzip or none; ignored (sent uncompressed unless the other \
                     OTEL_EXPORTER_OTLP_…COMPRESSION variable says gzip)",
                )),
            }
        }
        let (sampler, root_sampler) = sampler(
            var("OTEL_TRACES_SAMPLER"),
            var("OTEL_TRACES_SAMPLER_ARG"),
            &mut problems,
        );
        let propagators = var("OTEL_PROPAGATORS")
            .map(|value| propagators(&value, &mut problems))
            .unwrap_or(Propagators::DEFAULT);
        let first = |names: &[&'static str]| {
            names.iter().find_map(|&variable| {
                var(variable).map(|value| Setting {
                    variable,
                    value: value.trim().to_owned(),
                })
            })
        };
        let otlp_timeout = first(&[
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ])
        .and_then(|setting| number(&setting, "milliseconds", &mut problems))
        .map_or(DEFAULT_OTLP_TIMEOUT, Duration::from_millis);
        let tls = TlsFiles {
            certificate: first(&[
                "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ]),
            client_certificate: first(&[
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            ]),
            client_key: first(&[
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                "OTEL_EXPORTER_OTLP_CLIENT_KEY",
            ]),
        };
        let mut count = |names: &[&'static str], default: u32| {
            first(names)
                .and_then(|setting| number(&setting, "a count", &mut problems))
                .map_or(default, |count| u32::try_from(count).unwrap_or(u32::MAX))
        };
        let defaults = SpanLimits::default();
        let span_limits = SpanLimits {
            max_attributes_per_span: count(
                &[
                    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
                    "OTEL_ATTRIBUTE_COUNT_LIMIT",
                ],
                defaults.max_attributes_per_span,
            ),
            max_events_per_span: count(
                &["OTEL_SPAN_EVENT_COUNT_LIMIT"],
                defaults.max_events_per_span,
            ),
            max_links_per_span: count(&["OTEL_SPAN_LINK_COUNT_LIMIT"], defaults.max_links_per_span),
            max_attributes_per_event: count(
                &[
                    "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
                    "OTEL_ATTRIBUTE_COUNT_LIMIT",
                ],
                defaults.max_attributes_per_event,
            ),
            max_attributes_per_link: count(
                &[
                    "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
                    "OTEL_ATTRIBUTE_COUNT_LIMIT",
                ],
                defaults.max_attributes_per_link,
            ),
        };
        let value_length_limit = first(&[
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        ])
        .and_then(|setting| number(&setting, "a number of characters", &mut problems))
        .map(|limit| usize::try_from(limit).unwrap_or(usize::MAX));
        // For the batch processor (`init::batch`). An export is bounded by
        // the exporter's own timeout and runs one at a time, as in the SDK's
        // batch processor, so the last two are only checked.
        let mut max_queue_size = DEFAULT_QUEUE_SIZE;
        let mut schedule_delay = DEFAULT_SCHEDULE_DELAY;
        let mut max_export_batch_size = DEFAULT_BATCH_SIZE;
        for (variable, unit) in [
            ("OTEL_BSP_SCHEDULE_DELAY", "milliseconds"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "milliseconds"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "a count"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "a count"),
            ("OTEL_BSP_MAX_CONCURRENT_EXPORTS", "a count"),
        ] {
            let Some(value) = var(variable) else {
                continue;
            };
            let setting = Setting { variable, value };
            let read = number(&setting, unit, &mut problems);
            match (variable, read) {
                ("OTEL_BSP_MAX_QUEUE_SIZE", _) => {
                    max_queue_size = queue_size(&setting, read, &mut problems);
                }
                ("OTEL_BSP_SCHEDULE_DELAY", Some(milliseconds)) => {
                    schedule_delay = Duration::from_millis(milliseconds);
                }
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", Some(0)) => problems.push(problem(
                    variable,
                    &setting.value,
                    "a batch of 0 spans would export nothing; using the default",
                )),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", Some(size)) => {
                    max_export_batch_size = usize::try_from(size).unwrap_or(usize::MAX);
                }
                _ => {}
            }
        }
        // As the SDK does: a batch never waits for more than the queue holds.
        let max_export_batch_size = max_export_batch_size.min(max_queue_size);
        // A variable read for several settings (`OTEL_ATTRIBUTE_COUNT_LIMIT`
        // stands in for three) is still reported once.
        let mut seen = std::collections::HashSet::new();
        problems.retain(|problem| seen.insert(problem.clone()));
        EnvConfig {
            disabled,
            service_name,
            resource_attributes,
            exporters,
            otlp_endpoint,
            otlp_headers,
            otlp_protocol,
            sampler,
            root_sampler,
            propagators,
            otlp_timeout,
            tls,
            span_limits,
            max_queue_size,
            schedule_delay,
            max_export_batch_size,
            value_length_limit,
            problems,
        }
    }
}

/// `OTEL_BSP_MAX_QUEUE_SIZE`, `read` as a number: from 1 (a queue of 0
/// would drop every span) to [`MAX_QUEUE_SIZE`].
fn queue_size(setting: &Setting, read: Option<u64>, problems: &mut Vec<Problem>) -> usize {
    match read {
        None => DEFAULT_QUEUE_SIZE,
        Some(0) => {
            problems.push(problem(
                setting.variable,
                &setting.value,
                "a queue of 0 would drop every span; using the default",
            ));
            DEFAULT_QUEUE_SIZE
        }
        Some(size) if size > MAX_QUEUE_SIZE as u64 => {
            problems.push(problem(
                setting.variable,
                &setting.value,
                format!(
                    "the waiting spans would take too much memory; using the most allowed, \
                     {MAX_QUEUE_SIZE}"
                ),
            ));
            MAX_QUEUE_SIZE
        }
        Some(size) => size as usize,
    }
}

fn problem(variable: &'static str, value: &str, why: impl Into<String>) -> Problem {
    Problem {
        variable,
        value: value.to_owned(),
        why: why.into(),
    }
}

/// A whole number of `unit`, or `None` (reported) to keep the default.
fn number(setting: &Setting, unit: &str, problems: &mut Vec<Problem>) -> Option<u64> {
    let parsed = setting.value.parse::<u64>();
    if parsed.is_err() {
        problems.push(problem(
            setting.variable,
            &setting.value,
            format!("expected {unit}, a whole number from 0; using the default"),
        ));
    }
    parsed.ok()
}

/// `true` or `false` from the first of `variables` that is set; anything
/// else is reported and read as `false`, as `opentelemetry-otlp` reads it.
fn flag_from(
    variables: &[&'static str],
    var: &impl Fn(&'static str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> bool {
    let Some((variable, value)) = variables
        .iter()
        .find_map(|&variable| var(variable).map(|value| (variable, value)))
    else {
        return false;
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => true,
        "false" => false,
        _ => {
            problems.push(problem(
                variable,
                &value,
                "expected true or false; using false",
            ));
            false
        }
    }
}

/// The URL to export to. We resolve it rather than `opentelemetry-otlp`,
/// which reads a blank value as a URL (and fails), and whose error for a
/// bad one echoes it whole, with any password in it.
fn endpoint(
    traces: Option<String>,
    general: Option<String>,
    protocol: OtlpProtocol,
    insecure: bool,
    problems: &mut Vec<Problem>,
) -> Endpoint {
    let grpc = protocol == OtlpProtocol::Grpc;
    let (variable, value, url) = match (traces, general) {
        (Some(value), _) => {
            let url = value.trim().to_owned();
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", value, url)
        }
        (None, Some(value)) => {
            let base = value.trim();
            // HTTP appends the signal's path to the general variable only.
            let url = if grpc {
                base.to_owned()
            } else {
                format!("{}/v1/traces", base.trim_end_matches('/'))
            };
            ("OTEL_EXPORTER_OTLP_ENDPOINT", value, url)
        }
        (None, None) if grpc => return Endpoint::Default("http://localhost:4317".to_owned()),
        (None, None) => return Endpoint::Default("http://localhost:4318/v1/traces".to_owned()),
    };
    // gRPC may leave the scheme out, and `…_INSECURE` chooses it.
    let has_scheme = url
        .split_once("://")
        .is_some_and(|(scheme, _)| !scheme.contains(['/', '?', '#']));
    let url = match (has_scheme, grpc, insecure) {
        (false, true, true) => format!("http://{url}"),
        (false, true, false) => format!("https://{url}"),
        _ => url,
    };
    let checked = url
        .parse::<http::Uri>()
        .map_err(|error| error.to_string())
        .and_then(|uri| match (uri.scheme_str(), uri.host()) {
            (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(()),
            (Some("http" | "https"), _) => Err("no host".to_owned()),
            _ => Err("expected a URL starting http:// or https://".to_owned()),
        });
    match checked {
        Ok(()) => Endpoint::Set(url),
        Err(why) => {
            problems.push(problem(
                variable,
                &without_password(&value),
                format!(
                    "not an OTLP endpoint ({why}); no OTLP exporter (where one is asked \
                     for, traces are printed on standard output instead)"
                ),
            ));
            Endpoint::Invalid
        }
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

/// `key1=value1,key2=value2` (values percent-encoded): the headers sent
/// with every export, often a collector's credentials. A report names the
/// bad entry by its key and never shows a value.
fn headers(
    variable: &'static str,
    value: &str,
    problems: &mut Vec<Problem>,
) -> Vec<(String, String)> {
    let entries: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    // An entry without `=` may be a value pasted on its own (`Bearer …`):
    // only its first word is shown.
    let key_of = |entry: &str| -> String {
        match entry.split_once('=') {
            Some((key, _)) => key.trim().to_owned(),
            None => {
                let word = entry.split([' ', '\t', ':']).next().unwrap_or_default();
                if word.len() < entry.len() {
                    format!("{word}…")
                } else {
                    word.to_owned()
                }
            }
        }
    };
    let shown = entries
        .iter()
        .map(|entry| match entry.split_once('=') {
            Some((key, _)) => format!("{}=…", key.trim()),
            None => key_of(entry),
        })
        .collect::<Vec<_>>()
        .join(",");
    let mut usable = Vec::new();
    for entry in entries {
        let parsed = entry.split_once('=').and_then(|(key, raw)| {
            let key = key.trim();
            let raw = raw.trim();
            // As `opentelemetry-otlp` does: a value that is not valid
            // percent-encoding is sent as written.
            let decoded = percent_decode(raw).unwrap_or_else(|| raw.to_owned());
            let valid = http::HeaderName::from_bytes(key.as_bytes()).is_ok()
                && !decoded.is_empty()
                && http::HeaderValue::from_str(&decoded).is_ok();
            valid.then(|| (key.to_owned(), decoded))
        });
        match parsed {
            Some(header) => usable.push(header),
            None => problems.push(problem(
                variable,
                &shown,
                format!(
                    "the entry with key {} is not name=value with a valid header name and a \
                     non-empty, printable value; it is left out (values are not shown)",
                    excerpt(&key_of(entry))
                ),
            )),
        }
    }
    usable
}

/// `key1=value1,key2=value2`, values percent-encoded (W3C baggage octets).
fn resource_attributes(value: &str, problems: &mut Vec<Problem>) -> Vec<KeyValue> {
    let mut attributes = Vec::new();
    for pair in value
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
    {
        let parsed = pair.split_once('=').and_then(|(key, value)| {
            let key = key.trim();
            let value = percent_decode(value.trim())?;
            (!key.is_empty()).then(|| KeyValue::new(key.to_owned(), value))
        });
        match parsed {
            Some(attribute) => attributes.push(attribute),
            None => problems.push(problem(
                "OTEL_RESOURCE_ATTRIBUTES",
                value,
                format!(
                    "the entry {} is not key=value (percent-encoded); it is left out",
                    excerpt(pair)
                ),
            )),
        }
    }
    attributes
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn exporters(value: &str, problems: &mut Vec<Problem>) -> Vec<ExporterKind> {
    let mut kinds = Vec::new();
    for name in value
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
    {
        match name.as_str() {
            "otlp" => kinds.push(ExporterKind::Otlp),
            "console" => kinds.push(ExporterKind::Console),
            "none" => {}
            _ => problems.push(problem(
                "OTEL_TRACES_EXPORTER",
                value,
                format!(
                    "unknown exporter {} (known: otlp, console, none); it is left out",
                    excerpt(&name)
                ),
            )),
        }
    }
    kinds.dedup();
    kinds
}

fn otlp_protocol(variable: &'static str, value: &str, problems: &mut Vec<Problem>) -> OtlpProtocol {
    match value.trim().to_ascii_lowercase().as_str() {
        "grpc" => OtlpProtocol::Grpc,
        "http/protobuf" => OtlpProtocol::HttpProtobuf,
        "http/json" if cfg!(feature = "otlp-json") => OtlpProtocol::HttpJson,
        "http/json" => {
            problems.push(problem(
                variable,
                value,
                "http/json needs otel-runtime's `otlp-json` feature; using http/protobuf",
            ));
            OtlpProtocol::HttpProtobuf
        }
        _ => {
            problems.push(problem(
                variable,
                value,
                "expected grpc, http/protobuf or http/json; using http/protobuf",
            ));
            OtlpProtocol::HttpProtobuf
        }
    }
}

/// The sampler, and the one it amounts to for root spans.
fn sampler(
    name: Option<String>,
    arg: Option<String>,
    problems: &mut Vec<Problem>,
) -> (Sampler, Sampler) {
    let ratio = |problems: &mut Vec<Problem>| match &arg {
        None => 1.0,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
            _ => {
                problems.push(problem(
                    "OTEL_TRACES_SAMPLER_ARG",
                    text,
                    "expected a number from 0 to 1; using 1.0",
                ));
                1.0
            }
        },
    };
    let parent_based = |root: Sampler| (Sampler::ParentBased(Box::new(root.clone())), root);
    let Some(name) = name else {
        return parent_based(Sampler::AlwaysOn);
    };
    match name.trim().to_ascii_lowercase().as_str() {
        "always_on" => (Sampler::AlwaysOn, Sampler::AlwaysOn),
        "always_off" => (Sampler::AlwaysOff, Sampler::AlwaysOff),
        "traceidratio" => {
            let ratio = ratio(problems);
            (
                Sampler::TraceIdRatioBased(ratio),
                Sampler::TraceIdRatioBased(ratio),
            )
        }
        "parentbased_always_on" => parent_based(Sampler::AlwaysOn),
        "parentbased_always_off" => parent_based(Sampler::AlwaysOff),
        "parentbased_traceidratio" => parent_based(Sampler::TraceIdRatioBased(ratio(problems))),
        _ => {
            problems.push(problem(
                "OTEL_TRACES_SAMPLER",
                &name,
                "unknown sampler (known: always_on, always_off, traceidratio, parentbased_always_on, \
                 parentbased_always_off, parentbased_traceidratio); using parentbased_always_on",
            ));
            parent_based(Sampler::AlwaysOn)
        }
    }
}

fn propagators(value: &str, problems: &mut Vec<Problem>) -> Propagators {
    let mut chosen = Propagators::NONE;
    for name in value
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
    {
        match name.as_str() {
            "tracecontext" => chosen.trace_context = true,
            "baggage" => chosen.baggage = true,
            // The Rust crates that carried these are deprecated (Zipkin) or
            // a version behind (Jaeger); say so rather than guess.
            "b3" | "b3multi" | "jaeger" => problems.push(problem(
                "OTEL_PROPAGATORS",
                value,
                format!(
                    "{name:?} has no maintained implementation for this OpenTelemetry \
                     version (opentelemetry-zipkin is deprecated, \
                     opentelemetry-jaeger-propagator is at 0.32); it is left out"
                ),
            )),
            "none" => {}
            _ => problems.push(problem(
                "OTEL_PROPAGATORS",
                value,
                format!(
                    "unsupported propagator {} (supported: tracecontext, baggage, none); it is \
                     left out",
                    excerpt(&name)
                ),
            )),
        }
    }
    chosen
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
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\"0\": a batch of 0 spans would export nothing; using the default"
        );
    }

    #[test]
    fn a_queue_of_zero_would_drop_everything_and_keeps_the_default() {
        let config = read(&[("OTEL_BSP_MAX_QUEUE_SIZE", "0")]);
        assert_eq!(config.max_queue_size, 2048);
        assert_eq!(
            config.problems[0].to_string(),
            "OTEL_BSP_MAX_QUEUE_SIZE=\"0\": a queue of 0 would drop every span; using the default"
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
}
