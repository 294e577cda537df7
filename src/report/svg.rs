//! Inline SVG charts for the HTML report: line charts of timelines and the stage gantt. Plain
//! SVG elements with classes (`chart`, `series`, `gantt`), styled by the page's CSS; no
//! scripts, fonts or images from anywhere.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 170.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 24.0;
/// Points drawn per series at most: a 2-hour stage at 1 s has 7200 samples, more than the
/// chart has pixels.
pub const MAX_POINTS: usize = 600;

/// How a series' values are shown on the axis.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// CPU cores.
    Cores,
    /// Bytes.
    Bytes,
    /// Bytes per second.
    BytesPerSecond,
    /// A count.
    Count,
}

impl Unit {
    fn label(self, v: f64) -> String {
        match self {
            Unit::Cores => format!("{v:.1}"),
            Unit::Bytes => super::summary::bytes(v.max(0.0) as u64),
            Unit::BytesPerSecond => format!("{}/s", super::summary::bytes(v.max(0.0) as u64)),
            Unit::Count if v.fract() != 0.0 => format!("{v:.1}"),
            Unit::Count => format!("{v:.0}"),
        }
    }
}

/// How points are merged when a series has more than [`MAX_POINTS`].
#[derive(Debug, Clone, Copy)]
pub enum Merge {
    /// Mean of the bucket (rates).
    Mean,
    /// Maximum of the bucket (levels whose peaks matter, e.g. memory).
    Max,
}

/// One line of a chart.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// CSS class (`s0`…`s3`), which sets the colour.
    pub class: &'static str,
    /// `(seconds, value)` points in time order.
    pub points: Vec<(f64, f64)>,
}

/// Reduces `points` to at most [`MAX_POINTS`], merging equal-width time buckets.
pub fn downsample(points: &[(f64, f64)], merge: Merge) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let per = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(per)
        .map(|c| {
            let t = c[c.len() - 1].0;
            let v = match merge {
                Merge::Mean => c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64,
                Merge::Max => c.iter().map(|p| p.1).fold(f64::MIN, f64::max),
            };
            (t, v)
        })
        .collect()
}

/// A round axis maximum at or above `v`: 1, 2 or 5 times a power of ten (of 1024 for bytes).
fn nice_max(v: f64, unit: Unit) -> f64 {
    let floor = match unit {
        // Below 1 KiB the axis would label every line "0 B".
        Unit::Bytes | Unit::BytesPerSecond => 1024.0,
        Unit::Cores | Unit::Count => 1.0,
    };
    if v <= floor || !v.is_finite() {
        return floor;
    }
    let base: f64 = match unit {
        Unit::Bytes | Unit::BytesPerSecond if v >= 1024.0 => 1024f64.powf((v.log(1024.0)).floor()),
        _ => 10f64.powf(v.log10().floor()),
    };
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if base * m >= v {
            return base * m;
        }
    }
    base * 10.0
}

/// A line chart. `x_max` is the stage's length in seconds; `level` draws a dashed horizontal
/// line (e.g. the core count or a memory limit) with its label.
pub fn line_chart(
    kind: &str,
    title: &str,
    unit: Unit,
    x_max: f64,
    series: &[Series],
    level: Option<(f64, String)>,
) -> String {
    let x_max = if x_max > 0.0 { x_max } else { 1.0 };
    let data_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(level.as_ref().map(|l| l.0))
        .fold(0.0, f64::max);
    let y_max = nice_max(data_max, unit);
    let pw = WIDTH - LEFT - RIGHT;
    let ph = HEIGHT - TOP - BOTTOM;
    let x = |t: f64| LEFT + pw * (t / x_max).clamp(0.0, 1.0);
    let y = |v: f64| TOP + ph * (1.0 - (v / y_max).clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" data-chart="{kind}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = html(title)
    );
    let _ = write!(
        s,
        r#"<text class="title" x="{LEFT}" y="14">{}</text>"#,
        html(title)
    );
    // Grid and axis labels.
    for i in 0..=4 {
        let v = y_max * f64::from(i) / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 4.0,
            yy + 4.0,
            html(&unit.label(v))
        );
    }
    for i in 0..=5 {
        let t = x_max * f64::from(i) / 5.0;
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(t),
            HEIGHT - 6.0,
            html(&super::summary::secs(t))
        );
    }
    if let Some((v, label)) = &level {
        let yy = y(*v);
        let _ = write!(
            s,
            r#"<line class="level" x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            WIDTH - RIGHT - 2.0,
            yy - 3.0,
            html(label)
        );
    }
    for (i, ser) in series.iter().enumerate() {
        if ser.points.is_empty() {
            continue;
        }
        let mut pts = String::with_capacity(ser.points.len() * 12);
        // Start at zero so a single point still draws a line.
        let _ = write!(pts, "{:.1},{:.1}", x(0.0), y(ser.points[0].1));
        for (t, v) in &ser.points {
            let _ = write!(pts, " {:.1},{:.1}", x(*t), y(*v));
        }
        let _ = write!(
            s,
            r#"<polyline class="series {}" data-series="{}" points="{pts}"/>"#,
            ser.class,
            html(&ser.name)
        );
        let _ = write!(
            s,
            r#"<text class="legend {}" x="{:.1}" y="14">{}</text>"#,
            ser.class,
            LEFT + 330.0 + 120.0 * i as f64,
            html(&ser.name)
        );
    }
    s.push_str("</svg>");
    s
}

/// One bar of the gantt.
pub struct Bar {
    /// Row label.
    pub label: String,
    /// Start, seconds from the pipeline start.
    pub start: f64,
    /// Length in seconds.
    pub length: f64,
    /// Drawn highlighted (the critical stage).
    pub critical: bool,
    /// Hover text.
    pub tooltip: String,
}

/// The stage gantt: one row per bar.
pub fn gantt(bars: &[Bar]) -> String {
    let row = 22.0;
    let label_w = 160.0;
    let height = TOP + row * bars.len() as f64 + BOTTOM;
    let x_max = bars
        .iter()
        .map(|b| b.start + b.length)
        .fold(0.0, f64::max)
        .max(1.0);
    let pw = WIDTH - label_w - RIGHT;
    let x = |t: f64| label_w + pw * (t / x_max).clamp(0.0, 1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart gantt" data-chart="gantt" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-label="Stage timeline"><title>Stage timeline</title>"#
    );
    for i in 0..=5 {
        let t = x_max * f64::from(i) / 5.0;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{:.1}"/><text class="axis" x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            height - BOTTOM,
            height - 6.0,
            html(&super::summary::secs(t)),
            xx = x(t)
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let yy = TOP + row * i as f64;
        let w = (x(b.start + b.length) - x(b.start)).max(1.0);
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="bar{}" data-stage="{}" x="{:.1}" y="{:.1}" width="{w:.1}" height="{:.1}"><title>{}</title></rect>"#,
            label_w - 6.0,
            yy + 15.0,
            html(&b.label),
            if b.critical { " critical" } else { "" },
            html(&b.label),
            x(b.start),
            yy + 3.0,
            row - 6.0,
            html(&b.tooltip)
        );
    }
    s.push_str("</svg>");
    s
}

/// Escapes text for HTML text and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
