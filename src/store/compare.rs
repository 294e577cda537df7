//! This job against its baseline: median and MAD of the baseline runs, and a verdict only when
//! the change leaves the noise band. Pure functions; no database.
//!
//! The noise band of a series is `max(3 · 1.4826 · MAD, 5 % of the median, a floor)` (1.4826·MAD
//! estimates the standard deviation of normal noise; the relative band keeps a very steady series
//! from flagging a 1 % change; the floor, 0.25 s or 16 MiB, keeps tiny stages quiet). Median and
//! MAD ignore a few outliers (a cold cache, a noisy neighbour) where a mean and standard
//! deviation would not. With fewer than 5 baseline runs the verdict is `insufficient_history`.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::profile::{Role, StageProfile};

use super::{Baseline, Metric, Series};

/// How [`compare`] decides; [`CompareSettings::default`] is what reports use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareSettings {
    /// Fewer baseline runs than this give `insufficient_history`.
    pub min_runs: usize,
    /// The band is at least this many (normal-consistent) MADs wide.
    pub mad_factor: f64,
    /// The band is at least this share of the median.
    pub min_relative: f64,
    /// The band is at least this many seconds for time metrics.
    pub min_seconds: f64,
    /// The band is at least this many bytes for memory metrics.
    pub min_bytes: f64,
}

impl Default for CompareSettings {
    fn default() -> CompareSettings {
        CompareSettings {
            min_runs: 5,
            mad_factor: 3.0,
            min_relative: 0.05,
            min_seconds: 0.25,
            min_bytes: 16.0 * 1024.0 * 1024.0,
        }
    }
}

/// What a comparison concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The current value is above the baseline median by more than the noise band.
    Regression,
    /// The current value is below the baseline median by more than the noise band.
    Improvement,
    /// The change is inside the noise band.
    WithinNoise,
    /// Too few baseline runs to tell.
    InsufficientHistory,
}

impl Verdict {
    /// The `snake_case` name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regression => "regression",
            Verdict::Improvement => "improvement",
            Verdict::WithinNoise => "within_noise",
            Verdict::InsufficientHistory => "insufficient_history",
        }
    }
}

/// One metric of one stage (or of one role in a stage) against its baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Comparison {
    /// Stage name.
    pub stage: String,
    /// The process role, for per-role metrics; null for the whole stage.
    pub role: Option<Role>,
    /// What is compared.
    pub metric: Metric,
    /// Baseline runs the statistic is computed over.
    pub baseline_runs: u32,
    /// Median of the baseline values; null without baseline runs.
    pub median: Option<f64>,
    /// Median absolute deviation of the baseline values from their median (raw, not scaled).
    pub mad: Option<f64>,
    /// Half-width of the noise band around the median; changes inside it get no verdict.
    pub noise_band: Option<f64>,
    /// This job's value.
    pub current: f64,
    /// `(current − median) / median`; null when the median is 0 or unknown.
    pub change_ratio: Option<f64>,
    /// The conclusion.
    pub verdict: Verdict,
}

/// Compares every stage of `current` with `baseline`, with the default settings.
pub fn compare(current: &[StageProfile], baseline: &Baseline) -> Vec<Comparison> {
    compare_with(current, baseline, &CompareSettings::default())
}

/// Compares every stage of `current` with `baseline`: for each stage wall, CPU and peak RSS,
/// then CPU per role (roles of this job or of the baseline), in the order of `current`.
pub fn compare_with(
    current: &[StageProfile],
    baseline: &Baseline,
    settings: &CompareSettings,
) -> Vec<Comparison> {
    let mut out = Vec::new();
    for p in current {
        let stage = p.stage.name.as_str();
        for (metric, value) in [
            (Metric::WallSeconds, p.stage.wall_seconds),
            (Metric::CpuSeconds, p.totals.cpu_seconds),
            (Metric::PeakRssBytes, p.totals.peak_rss_bytes as f64),
        ] {
            let values = baseline.values(stage, None, metric);
            out.push(judge(stage, None, metric, value, values, settings));
        }
        let roles: BTreeSet<Role> = p
            .roles
            .keys()
            .copied()
            .chain(
                baseline
                    .series
                    .iter()
                    .filter(|s| s.stage == stage)
                    .filter_map(|s| s.role),
            )
            .collect();
        for role in roles {
            let value = p.roles.get(&role).map_or(0.0, |r| r.cpu_seconds);
            let values = baseline.values(stage, Some(role), Metric::CpuSeconds);
            out.push(judge(
                stage,
                Some(role),
                Metric::CpuSeconds,
                value,
                values,
                settings,
            ));
        }
    }
    out
}

fn judge(
    stage: &str,
    role: Option<Role>,
    metric: Metric,
    current: f64,
    values: &[f64],
    settings: &CompareSettings,
) -> Comparison {
    let median = median(values);
    let mad = median.and_then(|m| {
        let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
        self::median(&deviations)
    });
    let floor = match metric {
        Metric::PeakRssBytes => settings.min_bytes,
        Metric::WallSeconds | Metric::CpuSeconds => settings.min_seconds,
    };
    let noise_band = median.zip(mad).map(|(m, mad)| {
        (settings.mad_factor * 1.4826 * mad)
            .max(settings.min_relative * m.abs())
            .max(floor)
    });
    let verdict = match (median, noise_band) {
        (Some(m), Some(band)) if values.len() >= settings.min_runs => {
            if current - m > band {
                Verdict::Regression
            } else if m - current > band {
                Verdict::Improvement
            } else {
                Verdict::WithinNoise
            }
        }
        _ => Verdict::InsufficientHistory,
    };
    Comparison {
        stage: stage.to_owned(),
        role,
        metric,
        baseline_runs: u32::try_from(values.len()).unwrap_or(u32::MAX),
        median,
        mad,
        noise_band,
        current,
        change_ratio: median.filter(|m| *m != 0.0).map(|m| (current - m) / m),
        verdict,
    }
}

/// The median of finite values; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

impl Baseline {
    /// The baseline values of one series, newest first; empty when there is none.
    pub fn values(&self, stage: &str, role: Option<Role>, metric: Metric) -> &[f64] {
        self.series
            .iter()
            .find(|s: &&Series| s.stage == stage && s.role == role && s.metric == metric)
            .map_or(&[], |s| s.values.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(stage: &str, role: Option<Role>, metric: Metric, values: &[f64]) -> Series {
        Series {
            stage: stage.into(),
            role,
            metric,
            values: values.to_vec(),
            run_ids: (1..=values.len() as i64).collect(),
        }
    }

    fn baseline(series: Vec<Series>) -> Baseline {
        Baseline {
            repository: "o/r".into(),
            branch: "main".into(),
            host_class: "x86_64/2c/24GiB/cpu".into(),
            runs_requested: 20,
            series,
        }
    }

    #[test]
    fn median_and_mad() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 1.0]), Some(1.0));
    }

    #[test]
    fn verdicts() {
        let noisy = [10.0, 10.4, 9.8, 10.1, 9.9, 30.0];
        let b = baseline(vec![series("build", None, Metric::WallSeconds, &noisy)]);
        let s = CompareSettings::default();
        let values = b.values("build", None, Metric::WallSeconds);
        // Median 10.05; MAD 0.2 → band max(0.89, 0.50, 0.25) = 0.89. The outlier (30) does not
        // widen the band.
        let c = judge("build", None, Metric::WallSeconds, 10.5, values, &s);
        assert_eq!(c.verdict, Verdict::WithinNoise);
        assert!((c.median.unwrap() - 10.05).abs() < 1e-9);
        assert!((c.noise_band.unwrap() - 3.0 * 1.4826 * 0.2).abs() < 1e-6);
        let c = judge("build", None, Metric::WallSeconds, 12.0, values, &s);
        assert_eq!(c.verdict, Verdict::Regression);
        assert!((c.change_ratio.unwrap() - (12.0 - 10.05) / 10.05).abs() < 1e-9);
        let c = judge("build", None, Metric::WallSeconds, 8.0, values, &s);
        assert_eq!(c.verdict, Verdict::Improvement);
        let c = judge("build", None, Metric::WallSeconds, 20.0, &noisy[..4], &s);
        assert_eq!(c.verdict, Verdict::InsufficientHistory);
        assert_eq!(c.baseline_runs, 4);
        let c = judge("build", None, Metric::WallSeconds, 20.0, &[], &s);
        assert_eq!((c.median, c.change_ratio), (None, None));
    }

    #[test]
    fn steady_series_needs_the_relative_band() {
        let steady = [100.0; 8];
        let s = CompareSettings::default();
        let c = judge("t", None, Metric::CpuSeconds, 104.0, &steady, &s);
        assert_eq!(c.verdict, Verdict::WithinNoise);
        let c = judge("t", None, Metric::CpuSeconds, 106.0, &steady, &s);
        assert_eq!(c.verdict, Verdict::Regression);
        // Tiny stages: the floor keeps 0.1 s → 0.2 s quiet.
        let c = judge("t", None, Metric::WallSeconds, 0.2, &[0.1; 8], &s);
        assert_eq!(c.verdict, Verdict::WithinNoise);
    }
}
