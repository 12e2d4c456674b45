//! Text pieces of the rendering: cut lines, escaped text, durations.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use opentelemetry::Value;

use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use super::Paint;

/// Text appended to the output within a budget of columns: what does not
/// fit is cut, with `…` in its last column.
pub(super) struct Line<'a> {
    out: &'a mut String,
    color: bool,
    used: usize,
    budget: usize,
}

impl<'a> Line<'a> {
    pub(super) fn new(out: &'a mut String, color: bool, budget: usize) -> Self {
        Line {
            out,
            color,
            used: 0,
            budget,
        }
    }

    /// The columns taken so far.
    pub(super) fn used(&self) -> usize {
        self.used
    }

    /// Appends `text`, counted in the columns it takes on a terminal (a
    /// CJK character or an emoji takes two).
    pub(super) fn push(&mut self, color: Option<Paint>, text: &str) {
        let room = self.budget - self.used;
        if text.is_empty() || room == 0 {
            return;
        }
        let color = color.filter(|_| self.color);
        if let Some(paint) = color {
            let _ = write!(self.out, "{}", paint.render());
        }
        let width = text.width();
        if width <= room {
            self.out.push_str(text);
            self.used += width;
        } else {
            // What fits in all but the last column, which takes the `…`.
            let mut taken = 0;
            for c in text.chars() {
                let columns = c.width().unwrap_or(0);
                if taken + columns > room - 1 {
                    break;
                }
                self.out.push(c);
                taken += columns;
            }
            self.out.push('…');
            self.used += taken + 1;
        }
        if let Some(paint) = color {
            let _ = write!(self.out, "{}", paint.render_reset());
        }
    }
}

/// A value as text, strings without quotes.
pub(super) fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => clean(text.as_str()).into_owned(),
        value => clean(&value.to_string()).into_owned(),
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), so that
/// recorded text can neither break the layout nor send escape codes.
pub(super) fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        let escape = |c: char| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        };
        Cow::Owned(text.chars().map(escape).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// From `start` to `end`, or zero when a clock went backwards.
pub(super) fn since(start: SystemTime, end: SystemTime) -> Duration {
    end.duration_since(start).unwrap_or_default()
}

/// A duration to about three significant digits, in the unit that reads
/// best: `850ns`, `12.5µs`, `30ms`, `1.23s`.
pub(super) fn human(duration: Duration) -> String {
    let mut nanos = duration.as_nanos();
    if nanos == 0 {
        return "0ms".to_owned();
    }
    let mut scale = 1;
    while nanos / scale >= 1000 {
        scale *= 10;
    }
    nanos = (nanos + scale / 2) / scale * scale;
    let (unit, per) = match nanos {
        0..1_000 => ("ns", 1),
        1_000..1_000_000 => ("µs", 1_000),
        1_000_000..1_000_000_000 => ("ms", 1_000_000),
        _ => ("s", 1_000_000_000),
    };
    let value = nanos as f64 / per as f64;
    let decimals = match value {
        100.0.. => 0,
        10.0.. => 1,
        _ => 2,
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}{unit}")
}
