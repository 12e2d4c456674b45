//! Draws the last reading of the metrics as a table, for the terminal:
//!
//! ```text
//! metrics                               count  errors     p50     p90     p99
//! code.function.duration
//!   shop::place_order                       3       1     5ms     5ms     5ms
//! http.server.request.duration
//!   GET /users/{id} 200 http 1.1            2       0     5ms    10ms    10ms
//! shop.orders
//!   fr                                      2
//! ```
//!
//! One block per instrument, one row per attribute set (their values).
//! A histogram shows its count and its percentiles, estimated as the upper
//! bound of the bucket they fall in (durations in seconds read as
//! durations), and its errors when it records `error.type`: the calls of
//! a function or a route, failed ones included, in one row. A sum or a
//! gauge shows its value. Pure, as the trees are.

use std::time::Duration;

use super::text::{Line, clean, human};
use super::{BOLD, DIM, MIN_WIDTH, Style};

/// One instrument's reading for one attribute set.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MetricRow {
    pub(crate) name: String,
    pub(crate) unit: String,
    /// The attribute values, in the order recorded.
    pub(crate) attributes: Vec<String>,
    pub(crate) reading: Reading,
}

/// What a row shows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Reading {
    /// A histogram: how many values, the bucket bounds and their counts
    /// (one more count than bounds: the values above the last), and the
    /// largest value when known.
    Histogram {
        count: u64,
        /// How many of them failed, when the instrument says (`error.type`).
        errors: Option<u64>,
        bounds: Vec<f64>,
        counts: Vec<u64>,
        max: Option<f64>,
    },
    /// A sum's or a gauge's value.
    Value(f64),
}

impl Reading {
    /// Adds `other`'s values (a histogram with the same bounds) to these.
    pub(crate) fn add(&mut self, other: Reading) {
        match (self, other) {
            (
                Reading::Histogram {
                    count,
                    errors,
                    counts,
                    max,
                    ..
                },
                Reading::Histogram {
                    count: more,
                    errors: more_errors,
                    counts: more_counts,
                    max: other_max,
                    ..
                },
            ) => {
                *count += more;
                if let (Some(errors), Some(more)) = (errors.as_mut(), more_errors) {
                    *errors += more;
                }
                for (count, more) in counts.iter_mut().zip(more_counts) {
                    *count += more;
                }
                *max = match (*max, other_max) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
            (Reading::Value(value), Reading::Value(more)) => *value += more,
            _ => {}
        }
    }
}

/// The percentiles shown.
const PERCENTILES: [(f64, &str); 3] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")];
/// The columns of the count, the errors and each percentile.
const COUNT: usize = 8;
const ERRORS: usize = 8;
const PERCENTILE: usize = 8;

/// Renders `rows` (in the order given) as a table; nothing without rows.
pub(crate) fn render_metrics(rows: &[MetricRow], style: &Style) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        return out;
    }
    let width = style.width.max(MIN_WIDTH);
    let label = width - COUNT - ERRORS - PERCENTILES.len() * PERCENTILE;
    let mut header = format!(
        "{:<label$}{:>COUNT$}{:>ERRORS$}",
        "metrics", "count", "errors"
    );
    for (_, name) in PERCENTILES {
        header.push_str(&format!("{name:>PERCENTILE$}"));
    }
    Line::new(&mut out, style.color, width).push(Some(BOLD), &header);
    out.push('\n');
    let mut last_name = None;
    for row in rows {
        if last_name != Some(&row.name) {
            let title = match shown_unit(&row.unit) {
                Some(unit) => format!("{} ({unit})", row.name),
                None => row.name.clone(),
            };
            Line::new(&mut out, style.color, width).push(None, &clean(&title));
            out.push('\n');
            last_name = Some(&row.name);
        }
        let attributes = if row.attributes.is_empty() {
            "(no attributes)".to_owned()
        } else {
            row.attributes.join(" ")
        };
        let mut line = Line::new(&mut out, style.color, width);
        line.push(Some(DIM), "  ");
        line.push(None, &clean(&attributes));
        let padding = label.saturating_sub(line.used());
        line.push(None, &" ".repeat(padding));
        match &row.reading {
            Reading::Histogram {
                count,
                errors,
                bounds,
                counts,
                max,
            } => {
                line.push(None, &format!("{count:>COUNT$}"));
                let errors = errors.map_or_else(String::new, |errors| errors.to_string());
                line.push(None, &format!("{errors:>ERRORS$}"));
                for (quantile, _) in PERCENTILES {
                    let value = percentile(rank(*count, quantile), bounds, counts, *max);
                    let text = value.map_or_else(String::new, |value| amount(value, &row.unit));
                    line.push(Some(DIM), &format!("{text:>PERCENTILE$}"));
                }
            }
            Reading::Value(value) => {
                line.push(None, &format!("{:>COUNT$}", amount(*value, &row.unit)));
            }
        }
        out.push('\n');
    }
    out
}

/// Which value, counted from the smallest, a quantile of `count` values
/// is (0 when there is none).
fn rank(count: u64, quantile: f64) -> u64 {
    if count == 0 {
        return 0;
    }
    ((quantile * count as f64).ceil() as u64).clamp(1, count)
}

/// The upper bound of the bucket that holds the `rank`-th value, the
/// largest value for the last bucket (or when smaller), `None` with no
/// value.
fn percentile(rank: u64, bounds: &[f64], counts: &[u64], max: Option<f64>) -> Option<f64> {
    if rank == 0 {
        return None;
    }
    let mut seen = 0;
    for (at, count) in counts.iter().enumerate() {
        seen += count;
        if seen >= rank {
            let bound = bounds.get(at).copied();
            return match (bound, max) {
                (Some(bound), Some(max)) => Some(bound.min(max)),
                (Some(bound), None) => Some(bound),
                (None, max) => max.or_else(|| bounds.last().copied()),
            };
        }
    }
    max
}

/// A value: seconds as a duration, anything else as a number (its unit is
/// in the instrument's title).
fn amount(value: f64, unit: &str) -> String {
    if unit == "s" && value.is_finite() && value >= 0.0 {
        return human(Duration::from_secs_f64(value));
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').to_owned()
    }
}

/// The unit that an instrument's title names: not seconds (each value
/// shows its own), nor none, nor an annotation such as `{request}`.
fn shown_unit(unit: &str) -> Option<&str> {
    match unit {
        "" | "1" | "s" => None,
        unit if unit.starts_with('{') => None,
        unit => Some(unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(bounds: &[f64], counts: &[u64], max: f64) -> Reading {
        Reading::Histogram {
            count: counts.iter().sum(),
            errors: None,
            bounds: bounds.to_vec(),
            counts: counts.to_vec(),
            max: Some(max),
        }
    }

    fn with_errors(mut reading: Reading, failed: u64) -> Reading {
        if let Reading::Histogram { errors, .. } = &mut reading {
            *errors = Some(failed);
        }
        reading
    }

    fn row(name: &str, unit: &str, attributes: &[&str], reading: Reading) -> MetricRow {
        MetricRow {
            name: name.to_owned(),
            unit: unit.to_owned(),
            attributes: attributes.iter().map(|&value| value.to_owned()).collect(),
            reading,
        }
    }

    fn plain(rows: &[MetricRow]) -> String {
        render_metrics(
            rows,
            &Style {
                color: false,
                width: 80,
            },
        )
    }

    const BOUNDS: [f64; 5] = [0.005, 0.01, 0.025, 0.05, 0.1];

    #[test]
    fn a_table_of_routes_and_instruments() {
        let rows = [
            row(
                "code.function.duration",
                "s",
                &["shop::place_order"],
                with_errors(histogram(&BOUNDS, &[2, 1, 0, 0, 0, 0], 0.007), 1),
            ),
            row(
                "http.server.request.duration",
                "s",
                &["GET", "/users/{id}", "200", "http"],
                with_errors(histogram(&BOUNDS, &[90, 8, 1, 1, 0, 0], 0.04), 0),
            ),
            row(
                "http.server.request.duration",
                "s",
                &["GET", "/fail", "500", "http"],
                with_errors(histogram(&BOUNDS, &[0, 0, 0, 0, 0, 1], 0.3), 1),
            ),
            row("shop.orders", "", &["fr"], Reading::Value(2.0)),
            row("shop.queue.depth", "{item}", &[], Reading::Value(7.0)),
            row("shop.order.amount", "USD", &[], Reading::Value(50.5)),
        ];
        let text = plain(&rows);
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
        // 90 of 100 within 5 ms, 98 within 10 ms, 99 within 25 ms.
        assert!(
            text.contains("100       0     5ms     5ms    25ms"),
            "{text}"
        );
        assert!(text.contains("3       1     5ms     7ms     7ms"), "{text}");
        // A histogram without errors to count leaves the column empty.
        assert!(
            plain(&[row(
                "h",
                "s",
                &[],
                histogram(&BOUNDS, &[1, 0, 0, 0, 0, 0], 0.001)
            )])
            .contains("1             1ms"),
            "{text}"
        );
        assert!(text.contains("shop.order.amount (USD)\n"), "{text}");
        assert!(text.contains(" 50.5\n"), "{text}");
        // Above the last bound: the largest value.
        assert!(text.contains("300ms"), "{text}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn percentiles_are_bucket_bounds_capped_by_the_largest_value() {
        assert_eq!(percentile(0, &BOUNDS, &[0; 6], None), None);
        assert_eq!(
            percentile(1, &BOUNDS, &[1, 0, 0, 0, 0, 0], Some(0.002)),
            Some(0.002)
        );
        assert_eq!(
            percentile(2, &BOUNDS, &[1, 1, 0, 0, 0, 0], None),
            Some(0.01)
        );
        assert_eq!(
            percentile(1, &BOUNDS, &[0, 0, 0, 0, 0, 1], Some(3.0)),
            Some(3.0)
        );
        assert_eq!(percentile(1, &BOUNDS, &[0, 0, 0, 0, 0, 1], None), Some(0.1));
        assert_eq!((rank(100, 0.5), rank(100, 0.99), rank(1, 0.5)), (50, 99, 1));
    }

    #[test]
    fn nothing_read_nothing_printed() {
        assert_eq!(plain(&[]), "");
    }

    #[test]
    fn recorded_text_cannot_send_escape_codes() {
        let text = plain(&[row("evil\x1b[2J", "", &["a\nb"], Reading::Value(1.0))]);
        assert!(
            !text.contains('\x1b') && text.lines().count() == 3,
            "{text:?}"
        );
    }
}
