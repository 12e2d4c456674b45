//! How a value is read, one function per kind of value. Each takes the
//! variable that is set (its name and its value, as set) and returns the
//! value, or `None` for one that cannot be used: that is reported here,
//! and the row's default is used instead.

use std::time::Duration;

use opentelemetry::KeyValue;

use super::OtlpProtocol;
use super::{
    ExporterKind, MAX_CONCURRENT_EXPORTS, MAX_QUEUE_SIZE, Problem, Propagators, Setting, excerpt,
};

/// A parser, as a row of the table names it. For a field that is itself an
/// `Option` (`None` when the variable is unset), a usable value is
/// `Some(Some(…))`.
pub(super) type Parse<T> = fn(&Setting, &mut Vec<Problem>) -> Option<T>;

/// The report of `value`, set in `variable`: `why` it cannot be used, and
/// what is used instead.
pub(super) fn problem(variable: &'static str, value: &str, why: impl Into<String>) -> Problem {
    Problem {
        variable,
        value: value.to_owned(),
        why: why.into(),
    }
}

/// Reports `setting` and gives `None`: the row's default is used.
fn unusable<T>(
    setting: &Setting,
    why: impl Into<String>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    problems.push(problem(setting.variable, &setting.value, why));
    None
}

/// `true` or `false`, in any case; anything else is reported and read as
/// `false`, as `opentelemetry-otlp` reads it.
pub(super) fn flag(setting: &Setting, problems: &mut Vec<Problem>) -> Option<bool> {
    match setting.value.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => unusable(setting, "expected true or false; using false", problems),
    }
}

/// Any text, trimmed.
pub(super) fn text(setting: &Setting, _: &mut Vec<Problem>) -> Option<Option<String>> {
    Some(Some(setting.value.trim().to_owned()))
}

/// A file's path, trimmed, kept with the variable's name so that a file
/// that cannot be used is reported by the variable that named it
/// (`init::tls`).
pub(super) fn file(setting: &Setting, _: &mut Vec<Problem>) -> Option<Option<Setting>> {
    Some(Some(Setting {
        variable: setting.variable,
        value: setting.value.trim().to_owned(),
    }))
}

/// The setting untouched, for a rule that needs to know which variable it
/// came from (`rules::endpoint`).
pub(super) fn as_set(setting: &Setting, _: &mut Vec<Problem>) -> Option<Option<Setting>> {
    Some(Some(setting.clone()))
}

/// A whole number of `unit`, read from `text` (the value, trimmed or not),
/// which a report shows.
fn whole(setting: &Setting, text: &str, unit: &str, problems: &mut Vec<Problem>) -> Option<u64> {
    let parsed = text.parse::<u64>();
    if parsed.is_err() {
        problems.push(problem(
            setting.variable,
            text,
            format!("expected {unit}, a whole number from 0; using the default"),
        ));
    }
    parsed.ok()
}

/// A duration in whole milliseconds.
pub(super) fn millis(setting: &Setting, problems: &mut Vec<Problem>) -> Option<Duration> {
    whole(setting, setting.value.trim(), "milliseconds", problems).map(Duration::from_millis)
}

/// A count limit; one beyond `u32` is as good as no limit.
pub(super) fn count(setting: &Setting, problems: &mut Vec<Problem>) -> Option<u32> {
    let count = whole(setting, setting.value.trim(), "a count", problems)?;
    Some(u32::try_from(count).unwrap_or(u32::MAX))
}

/// A length limit in characters, for a field that is `None` (no limit)
/// when the variable is unset.
pub(super) fn characters(setting: &Setting, problems: &mut Vec<Problem>) -> Option<Option<usize>> {
    let limit = whole(
        setting,
        setting.value.trim(),
        "a number of characters",
        problems,
    )?;
    Some(Some(usize::try_from(limit).unwrap_or(usize::MAX)))
}

// The `OTEL_BSP_*` and `OTEL_BLRP_*` numbers are read as set, spaces and all (`" 250"` is
// reported, where the other numbers are trimmed): this crate has always
// read them so.

/// An `OTEL_BSP_*` (or `OTEL_BLRP_*`) duration in whole milliseconds.
pub(super) fn bsp_millis(setting: &Setting, problems: &mut Vec<Problem>) -> Option<Duration> {
    whole(setting, &setting.value, "milliseconds", problems).map(Duration::from_millis)
}

/// An `OTEL_BSP_*` (or `OTEL_BLRP_*`) count.
pub(super) fn bsp_count(setting: &Setting, problems: &mut Vec<Problem>) -> Option<u64> {
    whole(setting, &setting.value, "a count", problems)
}

/// `OTEL_BSP_MAX_QUEUE_SIZE` and `OTEL_BLRP_…`: from 1 (a queue of 0 would
/// drop everything)
/// to [`MAX_QUEUE_SIZE`] (a larger one is cut to it).
pub(super) fn queue_size(setting: &Setting, problems: &mut Vec<Problem>) -> Option<usize> {
    match bsp_count(setting, problems)? {
        0 => unusable(
            setting,
            "a queue of 0 would drop everything; using the default",
            problems,
        ),
        size if size > MAX_QUEUE_SIZE as u64 => {
            problems.push(problem(
                setting.variable,
                &setting.value,
                format!(
                    "what waits would take too much memory; using the most allowed, \
                     {MAX_QUEUE_SIZE}"
                ),
            ));
            Some(MAX_QUEUE_SIZE)
        }
        size => Some(size as usize),
    }
}

/// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: from 1 (a batch of 0 would export
/// nothing).
pub(super) fn batch_size(setting: &Setting, problems: &mut Vec<Problem>) -> Option<usize> {
    match bsp_count(setting, problems)? {
        0 => unusable(
            setting,
            "a batch of 0 would export nothing; using the default",
            problems,
        ),
        size => Some(usize::try_from(size).unwrap_or(usize::MAX)),
    }
}

/// The most requests in flight at once (`OTEL_BSP_MAX_CONCURRENT_EXPORTS`):
/// from 1 to [`MAX_CONCURRENT_EXPORTS`] (more is cut to it).
pub(super) fn concurrent_exports(setting: &Setting, problems: &mut Vec<Problem>) -> Option<usize> {
    match bsp_count(setting, problems)? {
        0 => unusable(
            setting,
            "no export at all would export nothing; using the default",
            problems,
        ),
        count if count > MAX_CONCURRENT_EXPORTS as u64 => {
            problems.push(problem(
                setting.variable,
                &setting.value,
                format!(
                    "each export in flight holds its request in memory; using the most \
                     allowed, {MAX_CONCURRENT_EXPORTS}"
                ),
            ));
            Some(MAX_CONCURRENT_EXPORTS)
        }
        count => Some(count as usize),
    }
}

/// `OTEL_TRACES_SAMPLER_ARG`: a ratio from 0 to 1. A bad one is not
/// reported here but kept, for `rules::samplers` to report only when the
/// sampler reads a ratio (`always_on` ignores its argument).
pub(super) fn ratio(setting: &Setting, _: &mut Vec<Problem>) -> Option<Result<f64, Problem>> {
    Some(match setting.value.trim().parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(problem(
            setting.variable,
            &setting.value,
            "expected a number from 0 to 1; using 1.0",
        )),
    })
}

/// `OTEL_TRACES_SAMPLER`, before `OTEL_TRACES_SAMPLER_ARG` gives a ratio
/// to the ratio samplers (`rules::samplers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SamplerChoice {
    /// `parentbased_…`: a span with a parent follows its parent's decision.
    pub(super) parent_based: bool,
    /// What decides for root spans.
    pub(super) root: Root,
}

/// What a sampler decides for root spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Root {
    AlwaysOn,
    AlwaysOff,
    /// `OTEL_TRACES_SAMPLER_ARG` of them, chosen by trace ID.
    TraceIdRatio,
}

impl SamplerChoice {
    /// The specification's default.
    pub(super) const PARENTBASED_ALWAYS_ON: Self = SamplerChoice {
        parent_based: true,
        root: Root::AlwaysOn,
    };
}

/// `always_on`, `always_off`, `traceidratio`, or one of them behind
/// `parentbased_`, in any case.
pub(super) fn sampler(setting: &Setting, problems: &mut Vec<Problem>) -> Option<SamplerChoice> {
    let (parent_based, root) = match setting.value.trim().to_ascii_lowercase().as_str() {
        "always_on" => (false, Root::AlwaysOn),
        "always_off" => (false, Root::AlwaysOff),
        "traceidratio" => (false, Root::TraceIdRatio),
        "parentbased_always_on" => (true, Root::AlwaysOn),
        "parentbased_always_off" => (true, Root::AlwaysOff),
        "parentbased_traceidratio" => (true, Root::TraceIdRatio),
        _ => {
            return unusable(
                setting,
                "unknown sampler (known: always_on, always_off, traceidratio, \
                 parentbased_always_on, parentbased_always_off, parentbased_traceidratio); \
                 using parentbased_always_on",
                problems,
            );
        }
    };
    Some(SamplerChoice { parent_based, root })
}

/// `grpc`, `http/protobuf`, or `http/json` when the `otlp-json` feature
/// builds its exporter in; in any case.
pub(super) fn otlp_protocol(
    setting: &Setting,
    problems: &mut Vec<Problem>,
) -> Option<OtlpProtocol> {
    match setting.value.trim().to_ascii_lowercase().as_str() {
        "grpc" => Some(OtlpProtocol::Grpc),
        "http/protobuf" => Some(OtlpProtocol::HttpProtobuf),
        "http/json" if cfg!(feature = "otlp-json") => Some(OtlpProtocol::HttpJson),
        "http/json" => unusable(
            setting,
            "http/json needs otel-runtime's `otlp-json` feature; using http/protobuf",
            problems,
        ),
        _ => unusable(
            setting,
            "expected grpc, http/protobuf or http/json; using http/protobuf",
            problems,
        ),
    }
}

/// `gzip` or `none`. Only checked: `opentelemetry-otlp` reads these itself,
/// and skips a value it cannot use without a word.
pub(super) fn compression(setting: &Setting, problems: &mut Vec<Problem>) -> Option<()> {
    match setting.value.trim().to_ascii_lowercase().as_str() {
        "gzip" | "none" => Some(()),
        _ => unusable(
            setting,
            "expected gzip or none; ignored (sent uncompressed unless the other \
             OTEL_EXPORTER_OTLP_…COMPRESSION variable says gzip)",
            problems,
        ),
    }
}

/// `cumulative`, `delta` or `lowmemory`, in any case. Only checked:
/// `opentelemetry-otlp` reads it itself, and falls back to cumulative on a
/// value it cannot use.
pub(super) fn temporality(setting: &Setting, problems: &mut Vec<Problem>) -> Option<()> {
    match setting.value.trim().to_ascii_lowercase().as_str() {
        "cumulative" | "delta" | "lowmemory" => Some(()),
        _ => unusable(
            setting,
            "expected cumulative, delta or lowmemory; using cumulative",
            problems,
        ),
    }
}

/// `otlp,console,none`, in any case: each exporter once, in order.
pub(super) fn exporters(
    setting: &Setting,
    problems: &mut Vec<Problem>,
) -> Option<Option<Vec<ExporterKind>>> {
    let mut kinds = Vec::new();
    for name in setting
        .value
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
    {
        match name.as_str() {
            "otlp" => kinds.push(ExporterKind::Otlp),
            "console" => kinds.push(ExporterKind::Console),
            "none" => {}
            _ => problems.push(problem(
                setting.variable,
                &setting.value,
                format!(
                    "unknown exporter {} (known: otlp, console, none); it is left out",
                    excerpt(&name)
                ),
            )),
        }
    }
    kinds.dedup();
    Some(Some(kinds))
}

/// `tracecontext`, `baggage`, `b3`, `b3multi`, in any case; the others are
/// left out, reported.
pub(super) fn propagators(setting: &Setting, problems: &mut Vec<Problem>) -> Option<Propagators> {
    let mut chosen = Propagators::NONE;
    for name in setting
        .value
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
    {
        match name.as_str() {
            "tracecontext" => chosen.trace_context = true,
            "baggage" => chosen.baggage = true,
            "b3" | "b3multi" if cfg!(feature = "b3") => {
                chosen.b3 |= name == "b3";
                chosen.b3_multi |= name == "b3multi";
            }
            "b3" | "b3multi" => problems.push(problem(
                setting.variable,
                &setting.value,
                format!("{name} needs otel-runtime's `b3` feature; it is left out"),
            )),
            "jaeger" => problems.push(problem(
                setting.variable,
                &setting.value,
                "jaeger is deprecated by OpenTelemetry (its clients are retired; use \
                 tracecontext, which Jaeger reads); it is left out"
                    .to_owned(),
            )),
            "none" => {}
            _ => problems.push(problem(
                setting.variable,
                &setting.value,
                format!(
                    "unsupported propagator {} (supported: tracecontext, baggage, b3, b3multi, \
                     none); it is left out",
                    excerpt(&name)
                ),
            )),
        }
    }
    Some(chosen)
}

/// `key1=value1,key2=value2`, values percent-encoded (W3C baggage octets);
/// a bad entry is left out, reported.
pub(super) fn resource_attributes(
    setting: &Setting,
    problems: &mut Vec<Problem>,
) -> Option<Vec<KeyValue>> {
    let mut attributes = Vec::new();
    for pair in setting
        .value
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
                setting.variable,
                &setting.value,
                format!(
                    "the entry {} is not key=value (percent-encoded); it is left out",
                    excerpt(pair)
                ),
            )),
        }
    }
    Some(attributes)
}

/// `key1=value1,key2=value2` (values percent-encoded): the headers sent
/// with every export, often a collector's credentials. A report names the
/// bad entry by its key and never shows a value.
pub(super) fn headers(
    setting: &Setting,
    problems: &mut Vec<Problem>,
) -> Option<Vec<(String, String)>> {
    let entries: Vec<&str> = setting
        .value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
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
        match header(entry) {
            Some(header) => usable.push(header),
            None => problems.push(problem(
                setting.variable,
                &shown,
                format!(
                    "the entry with key {} is not name=value with a valid header name and a \
                     non-empty, printable value; it is left out (values are not shown)",
                    excerpt(&key_of(entry))
                ),
            )),
        }
    }
    Some(usable)
}

/// One `name=value` entry of a headers variable, decoded, if it is a
/// header that can be sent.
fn header(entry: &str) -> Option<(String, String)> {
    let (key, raw) = entry.split_once('=')?;
    let key = key.trim();
    let raw = raw.trim();
    // As `opentelemetry-otlp` does: a value that is not valid
    // percent-encoding is sent as written.
    let decoded = percent_decode(raw).unwrap_or_else(|| raw.to_owned());
    let valid = http::HeaderName::from_bytes(key.as_bytes()).is_ok()
        && !decoded.is_empty()
        && http::HeaderValue::from_str(&decoded).is_ok();
    valid.then(|| (key.to_owned(), decoded))
}

/// The key of a headers entry, as a report shows it. An entry without `=`
/// may be a value pasted on its own (`Bearer …`): only its first word is
/// shown.
fn key_of(entry: &str) -> String {
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
