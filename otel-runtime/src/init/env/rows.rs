//! Every `OTEL_*` variable this crate reads, in one table: [`ROWS`], then
//! the rows of the other signals ([`LOGS`], [`METRICS`]), whose OTLP
//! settings are the spans' under the signal's own names
//! (`signal_rows!`).

use std::time::Duration;

use super::OtlpProtocol;
use super::parse::{
    Parse, SamplerChoice, as_set, batch_size, bsp_millis, characters, compression,
    concurrent_exports, count, exporters, file, flag, headers, millis, otlp_protocol, propagators,
    queue_size, ratio, resource_attributes, sampler, temporality, text,
};
use super::{Draft, Propagators, Setting};

/// The rows of a signal other than spans: its exporters (`$exporters`),
/// then each OTLP setting read from the signal's own variable (named with
/// `$signal`), else the general one, into `d.config.$field.export` (the
/// endpoint and `…_INSECURE` into the draft's `$endpoint` and `$insecure`,
/// for `rules::endpoint`); then `$more` rows.
macro_rules! signal_rows {
    ($signal:literal, $exporters:literal, $field:ident, $insecure:ident, $endpoint:ident,
     $($more:expr),* $(,)?) => {
        [
            &Read { names: &[$exporters],
                    parse: exporters, default: None,
                    set: |d, v| d.config.$field.export.exporters = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_PROTOCOL"),
                             "OTEL_EXPORTER_OTLP_PROTOCOL"],
                    parse: otlp_protocol, default: OtlpProtocol::DEFAULT,
                    set: |d, v| d.config.$field.export.otlp_protocol = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_INSECURE"),
                             "OTEL_EXPORTER_OTLP_INSECURE"],
                    parse: flag, default: false,
                    set: |d, v| d.$insecure = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_ENDPOINT"),
                             "OTEL_EXPORTER_OTLP_ENDPOINT"],
                    parse: as_set, default: None,
                    set: |d, v| d.$endpoint = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_HEADERS"),
                             "OTEL_EXPORTER_OTLP_HEADERS"],
                    parse: headers, default: Vec::new(),
                    set: |d, v| d.config.$field.export.otlp_headers = v },
            &Check { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_COMPRESSION"),
                              "OTEL_EXPORTER_OTLP_COMPRESSION"],
                     parse: compression },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_TIMEOUT"),
                             "OTEL_EXPORTER_OTLP_TIMEOUT"],
                    parse: millis, default: Duration::from_millis(10_000),
                    set: |d, v| d.config.$field.export.otlp_timeout = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_CERTIFICATE"),
                             "OTEL_EXPORTER_OTLP_CERTIFICATE"],
                    parse: file, default: None,
                    set: |d, v| d.config.$field.export.tls.certificate = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_CLIENT_CERTIFICATE"),
                             "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"],
                    parse: file, default: None,
                    set: |d, v| d.config.$field.export.tls.client_certificate = v },
            &Read { names: &[concat!("OTEL_EXPORTER_OTLP_", $signal, "_CLIENT_KEY"),
                             "OTEL_EXPORTER_OTLP_CLIENT_KEY"],
                    parse: file, default: None,
                    set: |d, v| d.config.$field.export.tls.client_key = v },
            $($more),*
        ]
    };
}

/// The variables, in the order they are read, which is also the order of
/// their reports. Where a row names two, the signal's own comes first, and
/// the general one stands in for it when it is unset. Each default is the
/// specification's.
///
/// `set` gets the draft (`d`) and the value (`v`): most values go straight
/// to the `EnvConfig` (`d.config`), a few to a rule that spans several
/// variables (`super::rules`).
#[rustfmt::skip]
pub(super) static ROWS: &[&dyn Row] = &[
    // Whether to trace at all, and what the spans say about their program.
    &Read { names: &["OTEL_SDK_DISABLED"],
            parse: flag, default: false,
            set: |d, v| d.config.disabled = v },
    &Read { names: &["OTEL_SERVICE_NAME"],
            parse: text, default: None,
            set: |d, v| d.config.service_name = v },
    &Read { names: &["OTEL_RESOURCE_ATTRIBUTES"],
            parse: resource_attributes, default: Vec::new(),
            set: |d, v| d.config.resource_attributes = v },
    // Where spans go; `None` lets `init` choose (`otlp` if an endpoint is set).
    &Read { names: &["OTEL_TRACES_EXPORTER"],
            parse: exporters, default: None,
            set: |d, v| d.config.exporters = v },

    // OTLP. The endpoint's default and its path depend on the protocol, and
    // its scheme on `…_INSECURE`: `rules::endpoint`.
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"],
            parse: otlp_protocol, default: OtlpProtocol::DEFAULT,
            set: |d, v| d.config.otlp_protocol = v },
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"],
            parse: flag, default: false,
            set: |d, v| d.insecure = v },
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"],
            parse: as_set, default: None,
            set: |d, v| d.endpoint = v },
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"],
            parse: headers, default: Vec::new(),
            set: |d, v| d.config.otlp_headers = v },
    // Read by `opentelemetry-otlp` itself, which tries each in turn until
    // one is usable: only checked here, the same way.
    &Check { names: &["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"],
             parse: compression },

    // Sampling: `rules::samplers` gives the ratio to the samplers that read one.
    &Read { names: &["OTEL_TRACES_SAMPLER"],
            parse: sampler, default: SamplerChoice::PARENTBASED_ALWAYS_ON,
            set: |d, v| d.sampler = v },
    &Read { names: &["OTEL_TRACES_SAMPLER_ARG"],
            parse: ratio, default: Ok(1.0),
            set: |d, v| d.sampler_arg = v },
    &Read { names: &["OTEL_PROPAGATORS"],
            parse: propagators, default: Propagators::DEFAULT,
            set: |d, v| d.config.propagators = v },

    // OTLP again: how long an export may take, and the TLS files.
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"],
            parse: millis, default: Duration::from_millis(10_000),
            set: |d, v| d.config.otlp_timeout = v },
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE"],
            parse: file, default: None,
            set: |d, v| d.config.tls.certificate = v },
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                     "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"],
            parse: file, default: None,
            set: |d, v| d.config.tls.client_certificate = v },
    &Read { names: &["OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY"],
            parse: file, default: None,
            set: |d, v| d.config.tls.client_key = v },

    // Limits. 128 is `SpanLimits::default()`'s too (checked in the tests).
    &Read { names: &["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
            parse: count, default: 128,
            set: |d, v| d.config.span_limits.max_attributes_per_span = v },
    &Read { names: &["OTEL_SPAN_EVENT_COUNT_LIMIT"],
            parse: count, default: 128,
            set: |d, v| d.config.span_limits.max_events_per_span = v },
    &Read { names: &["OTEL_SPAN_LINK_COUNT_LIMIT"],
            parse: count, default: 128,
            set: |d, v| d.config.span_limits.max_links_per_span = v },
    &Read { names: &["OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
            parse: count, default: 128,
            set: |d, v| d.config.span_limits.max_attributes_per_event = v },
    &Read { names: &["OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
            parse: count, default: 128,
            set: |d, v| d.config.span_limits.max_attributes_per_link = v },
    // `None`: no limit.
    &Read { names: &["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"],
            parse: characters, default: None,
            set: |d, v| d.config.value_length_limit = v },

    // The batch processor (`engine::batch`); `rules::fit_batch_to_queue` cuts
    // a batch to the queue's size.
    &Read { names: &["OTEL_BSP_SCHEDULE_DELAY"],
            parse: bsp_millis, default: Duration::from_millis(5_000),
            set: |d, v| d.config.schedule_delay = v },
    // An export is bounded by the exporter's own timeout, as in the SDK's
    // batch processor: only checked.
    &Check { names: &["OTEL_BSP_EXPORT_TIMEOUT"],
             parse: bsp_millis },
    &Read { names: &["OTEL_BSP_MAX_QUEUE_SIZE"],
            parse: queue_size, default: 2048,
            set: |d, v| d.config.max_queue_size = v },
    &Read { names: &["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"],
            parse: batch_size, default: 512,
            set: |d, v| d.config.max_export_batch_size = v },
    // Honoured by the OTLP span exporter over gRPC and HTTP/protobuf
    // (`init::wire`); the others export one batch at a time.
    &Read { names: &["OTEL_BSP_MAX_CONCURRENT_EXPORTS"],
            parse: concurrent_exports, default: 1,
            set: |d, v| d.config.max_concurrent_exports = v },

];

/// Where the log records go and how (the `tracing` feature): `None` lets
/// `init` choose, as for spans.
#[rustfmt::skip]
pub(super) static LOGS: &[&dyn Row] = &signal_rows!(
    "LOGS", "OTEL_LOGS_EXPORTER", logs, logs_insecure, logs_endpoint,
    // Its batch processor.
    &Read { names: &["OTEL_BLRP_SCHEDULE_DELAY"],
            parse: bsp_millis, default: Duration::from_millis(1_000),
            set: |d, v| d.config.logs.schedule_delay = v },
    &Check { names: &["OTEL_BLRP_EXPORT_TIMEOUT"],
             parse: bsp_millis },
    &Read { names: &["OTEL_BLRP_MAX_QUEUE_SIZE"],
            parse: queue_size, default: 2048,
            set: |d, v| d.config.logs.max_queue_size = v },
    &Read { names: &["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"],
            parse: batch_size, default: 512,
            set: |d, v| d.config.logs.max_export_batch_size = v },
);

/// Where the metrics go and how: `None` lets `init` choose, as for spans.
#[rustfmt::skip]
pub(super) static METRICS: &[&dyn Row] = &signal_rows!(
    "METRICS", "OTEL_METRICS_EXPORTER", metrics, metrics_insecure, metrics_endpoint,
    // How often they are read and sent, and how long that may take.
    &Read { names: &["OTEL_METRIC_EXPORT_INTERVAL"],
            parse: bsp_millis, default: Duration::from_millis(60_000),
            set: |d, v| d.config.metrics.interval = v },
    &Read { names: &["OTEL_METRIC_EXPORT_TIMEOUT"],
            parse: bsp_millis, default: Duration::from_millis(30_000),
            set: |d, v| d.config.metrics.export_timeout = v },
    // Read by `opentelemetry-otlp` itself: only checked here.
    &Check { names: &["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"],
             parse: temporality },
);

/// Every row, in reading order.
pub(super) fn all() -> impl Iterator<Item = &'static dyn Row> {
    [ROWS, LOGS, METRICS].into_iter().flatten().copied()
}

/// A row of [`ROWS`].
pub(super) trait Row: Sync {
    /// The variables it reads, in order (for the tests, which check the
    /// table against README.md).
    #[cfg(test)]
    fn names(&self) -> &'static [&'static str];
    /// Reads them through `lookup` into `draft`.
    fn read(&self, lookup: &dyn Fn(&str) -> Option<String>, draft: &mut Draft);
}

/// A setting: read from the first of `names` that is set, with `parse`,
/// and handed to `set`; `default` when none is set, or when the value
/// cannot be used (the next name is not tried then: a bad specific value
/// is reported, not papered over by the general one).
pub(super) struct Read<T> {
    names: &'static [&'static str],
    parse: Parse<T>,
    default: T,
    set: fn(&mut Draft, T),
}

/// A variable only checked, so that a bad value is reported: `names` are
/// tried in turn until one is usable.
pub(super) struct Check<T> {
    names: &'static [&'static str],
    parse: Parse<T>,
}

impl<T: Clone + Sync> Row for Read<T> {
    #[cfg(test)]
    fn names(&self) -> &'static [&'static str] {
        self.names
    }

    fn read(&self, lookup: &dyn Fn(&str) -> Option<String>, draft: &mut Draft) {
        let value = self
            .names
            .iter()
            .find_map(|&name| set(lookup, name))
            .and_then(|setting| draft.parse(self.parse, &setting))
            .unwrap_or_else(|| self.default.clone());
        (self.set)(draft, value);
    }
}

impl<T> Row for Check<T> {
    #[cfg(test)]
    fn names(&self) -> &'static [&'static str] {
        self.names
    }

    fn read(&self, lookup: &dyn Fn(&str) -> Option<String>, draft: &mut Draft) {
        for setting in self.names.iter().filter_map(|&name| set(lookup, name)) {
            if draft.parse(self.parse, &setting).is_some() {
                break;
            }
        }
    }
}

/// `name` and its value, unless it is unset or blank: the specification
/// reads an empty value as unset, and so does a value of spaces here.
fn set(lookup: &dyn Fn(&str) -> Option<String>, name: &'static str) -> Option<Setting> {
    let value = lookup(name).filter(|value| !value.trim().is_empty())?;
    Some(Setting {
        variable: name,
        value,
    })
}
