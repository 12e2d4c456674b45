//! Metrics on the console: the last reading, as a table, when the guard
//! drops (`render::metrics`). Readings taken every
//! `OTEL_METRIC_EXPORT_INTERVAL` replace one another unprinted: a table a
//! minute would bury the trees of a long-running program.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, HistogramDataPoint, Metric, MetricData, ResourceMetrics,
};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;

use super::Screen;
use super::render::metrics::{MetricRow, Reading};

/// Keeps the last reading, and prints it at shutdown.
pub(crate) struct ConsoleMetrics {
    screen: Arc<Screen>,
    last: Mutex<Vec<MetricRow>>,
}

impl ConsoleMetrics {
    /// On standard output, with the console's trees.
    pub(crate) fn stdout() -> Self {
        ConsoleMetrics {
            screen: Screen::stdout(),
            last: Mutex::new(Vec::new()),
        }
    }
}

impl fmt::Debug for ConsoleMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleMetrics").finish_non_exhaustive()
    }
}

impl PushMetricExporter for ConsoleMetrics {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let rows = rows(metrics);
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = rows;
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        let rows = std::mem::take(&mut *self.last.lock().unwrap_or_else(PoisonError::into_inner));
        self.screen.print_metrics(&rows);
        Ok(())
    }

    /// Cumulative: the last reading holds everything since the start.
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// The rows of a reading, by instrument, in the order the SDK gives them.
fn rows(metrics: &ResourceMetrics) -> Vec<MetricRow> {
    let mut rows = Vec::new();
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            metric_rows(metric, &mut rows);
        }
    }
    rows
}

fn metric_rows(metric: &Metric, rows: &mut Vec<MetricRow>) {
    let mut points = Vec::new();
    macro_rules! data {
        ($data:expr, $as_f64:expr) => {
            match $data {
                MetricData::Histogram(histogram) => {
                    for point in histogram.data_points() {
                        points.push((
                            point.attributes().collect(),
                            histogram_reading(point, $as_f64),
                        ));
                    }
                }
                MetricData::Sum(sum) => {
                    for point in sum.data_points() {
                        points.push((
                            point.attributes().collect(),
                            Reading::Value($as_f64(point.value())),
                        ));
                    }
                }
                MetricData::Gauge(gauge) => {
                    for point in gauge.data_points() {
                        points.push((
                            point.attributes().collect(),
                            Reading::Value($as_f64(point.value())),
                        ));
                    }
                }
                // Exponential histograms: only by a view asking for them.
                MetricData::ExponentialHistogram(_) => {}
            }
        };
    }
    match metric.data() {
        AggregatedMetrics::F64(data) => data!(data, |value: f64| value),
        AggregatedMetrics::U64(data) => data!(data, |value: u64| value as f64),
        AggregatedMetrics::I64(data) => data!(data, |value: i64| value as f64),
    }
    rows.extend(merged(metric, points));
}

/// One row per attribute set, sorted; in a histogram with `error.type`
/// (a function's or a route's durations), the failed calls counted in the
/// row of their function or route, as its errors.
fn merged(metric: &Metric, points: Vec<(Vec<&KeyValue>, Reading)>) -> Vec<MetricRow> {
    let with_errors = points
        .iter()
        .any(|(attributes, _)| error_type(attributes).is_some());
    let mut rows: Vec<MetricRow> = Vec::new();
    for (attributes, mut reading) in points {
        let failed = error_type(&attributes).is_some();
        if let Reading::Histogram { count, errors, .. } = &mut reading {
            *errors = with_errors.then_some(if failed { *count } else { 0 });
        }
        let attributes = values(
            attributes
                .into_iter()
                .filter(|kv| kv.key.as_str() != ERROR_TYPE),
        );
        match rows.iter_mut().find(|row| row.attributes == attributes) {
            Some(row) => row.reading.add(reading),
            None => rows.push(MetricRow {
                name: metric.name().to_owned(),
                unit: metric.unit().to_owned(),
                attributes,
                reading,
            }),
        }
    }
    rows.sort_by(|a, b| a.attributes.cmp(&b.attributes));
    rows
}

const ERROR_TYPE: &str = "error.type";

fn error_type<'a>(attributes: &[&'a KeyValue]) -> Option<&'a KeyValue> {
    attributes
        .iter()
        .copied()
        .find(|kv| kv.key.as_str() == ERROR_TYPE)
}

fn histogram_reading<T: Copy>(point: &HistogramDataPoint<T>, as_f64: impl Fn(T) -> f64) -> Reading {
    Reading::Histogram {
        count: point.count(),
        errors: None,
        bounds: point.bounds().collect(),
        counts: point.bucket_counts().collect(),
        max: point.max().map(as_f64),
    }
}

/// The attributes' values, as text.
fn values<'a>(attributes: impl Iterator<Item = &'a KeyValue>) -> Vec<String> {
    attributes
        .map(|kv| match &kv.value {
            Value::String(text) => text.as_str().to_owned(),
            value => value.to_string(),
        })
        .collect()
}
