//! Flags + `CICD_MONITOR_*` environment (both through clap) + `.cicd-monitor.yml` → one typed
//! settings value per command. Precedence: flag, then environment, then file, then default.
//!
//! `wrap` settings never fail: a bad value becomes a warning and the default, because a
//! monitoring mistake must not fail the build. The other commands report errors.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{SamplerArg, WrapArgs};
use crate::config::{self, Config};
use crate::env_vars;

/// Default time between samples.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// Shortest allowed time between samples.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Default output directory.
pub const DEFAULT_OUT: &str = ".cicd-monitor";
/// Default grace period between SIGTERM and SIGKILL for lingering processes.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(3);

/// Which sampler `wrap` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplerKind {
    /// procfs, cgroup, PSI.
    Linux,
    /// sysinfo.
    Portable,
}

/// Everything `wrap` needs, resolved.
#[derive(Debug)]
pub struct WrapSettings {
    /// Stage name.
    pub stage: String,
    /// Job name, if given.
    pub job: Option<String>,
    /// Time between samples.
    pub interval: Duration,
    /// Output directory.
    pub out: PathBuf,
    /// Trace every exec.
    pub trace_exec: bool,
    /// Sampler.
    pub sampler: SamplerKind,
    /// End lingering descendants.
    pub kill_lingering: bool,
    /// SIGTERM→SIGKILL grace.
    pub kill_grace: Duration,
    /// No summary.
    pub quiet: bool,
    /// Run without monitoring (`CICD_MONITOR_DISABLE`).
    pub disabled: bool,
    /// The command.
    pub command: Vec<OsString>,
    /// The configuration file's content (defaults when none).
    pub config: Config,
    /// Where it came from.
    pub config_path: Option<PathBuf>,
    /// Problems found while resolving, to print as warnings.
    pub warnings: Vec<String>,
}

/// Resolves `wrap`'s settings. `cwd` is where the config file search starts; `env` looks up
/// variables clap does not handle.
pub fn wrap_settings(
    args: WrapArgs,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> WrapSettings {
    let mut warnings = Vec::new();
    let config_path = args.config.clone().or_else(|| config::discover(cwd));
    let config = match &config_path {
        Some(path) => config::load(path).unwrap_or_else(|e| {
            warnings.push(format!("{}; using defaults", crate::warn::chain(&e)));
            Config::default()
        }),
        None => Config::default(),
    };
    let file = &config.wrap;

    let interval = match &args.interval {
        Some(text) => match humantime::parse_duration(text) {
            Ok(d) => d,
            Err(e) => {
                warnings.push(format!(
                    "invalid --interval {text:?} ({e}); expected a duration such as 500ms or 2s; using 1s"
                ));
                DEFAULT_INTERVAL
            }
        },
        None => file.interval.unwrap_or(DEFAULT_INTERVAL),
    };
    let interval = if interval < MIN_INTERVAL {
        warnings.push(format!(
            "interval {} is below the minimum; using 100ms",
            humantime::format_duration(interval)
        ));
        MIN_INTERVAL
    } else {
        interval
    };
    let kill_grace = match &args.kill_grace {
        Some(text) => humantime::parse_duration(text).unwrap_or_else(|e| {
            warnings.push(format!(
                "invalid --kill-grace {text:?} ({e}); expected a duration such as 3s; using 3s"
            ));
            DEFAULT_KILL_GRACE
        }),
        None => DEFAULT_KILL_GRACE,
    };
    let sampler = match args.sampler {
        Some(SamplerArg::Linux) => SamplerKind::Linux,
        Some(SamplerArg::Portable) => SamplerKind::Portable,
        None => match file.sampler.as_deref() {
            Some("portable") => SamplerKind::Portable,
            Some("linux") => SamplerKind::Linux,
            Some(other) => {
                warnings.push(format!(
                    "unknown sampler {other:?} in the config file; expected linux or portable"
                ));
                default_sampler()
            }
            None => default_sampler(),
        },
    };
    let sampler = if sampler == SamplerKind::Linux && !cfg!(target_os = "linux") {
        warnings.push("the linux sampler exists only on Linux; using portable".to_owned());
        SamplerKind::Portable
    } else {
        sampler
    };
    let stage = args
        .stage
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| default_stage_name(&args.command));
    WrapSettings {
        stage,
        job: args.job.filter(|s| !s.trim().is_empty()),
        interval,
        out: args
            .out
            .or_else(|| file.out.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT)),
        trace_exec: args.trace_exec.or(file.trace_exec).unwrap_or(false),
        sampler,
        kill_lingering: args.kill_lingering.or(file.kill_lingering).unwrap_or(false),
        kill_grace,
        quiet: args.quiet.or(file.quiet).unwrap_or(false),
        disabled: env(env_vars::DISABLE).is_some_and(|v| is_true(&v)),
        command: args.command,
        config,
        config_path,
        warnings,
    }
}

fn default_sampler() -> SamplerKind {
    if cfg!(target_os = "linux") {
        SamplerKind::Linux
    } else {
        SamplerKind::Portable
    }
}

/// `true`, `1`, `yes`, `on` (any case).
pub fn is_true(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// The stage name when none is given: the command's base name (`make`, `pytest`).
fn default_stage_name(command: &[OsString]) -> String {
    command
        .first()
        .map(|c| {
            let s = c.to_string_lossy();
            s.rsplit('/').next().unwrap_or(&s).to_owned()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "stage".to_owned())
}

/// A file-name-safe form of a stage name: letters, digits, `.`, `-`, `_`; others become `_`.
pub fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_start_matches('.') {
        "" => "stage".to_owned(),
        t => t.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> WrapArgs {
        let cli = crate::cli::Cli::try_parse_from(
            std::iter::once("cicd-monitor").chain(args.iter().copied()),
        )
        .unwrap();
        match cli.command {
            crate::cli::Command::Wrap(w) => w,
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_and_stage_from_command() {
        let dir = tempfile::tempdir().unwrap();
        let s = wrap_settings(
            parse(&["wrap", "--", "/usr/bin/make", "-j8"]),
            dir.path(),
            &|_| None,
        );
        assert_eq!(s.stage, "make");
        assert_eq!(s.interval, DEFAULT_INTERVAL);
        assert_eq!(s.out, PathBuf::from(DEFAULT_OUT));
        assert!(!s.trace_exec && !s.kill_lingering && !s.quiet && !s.disabled);
        assert_eq!(s.command, ["/usr/bin/make", "-j8"]);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn bad_values_warn_and_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = wrap_settings(
            parse(&["wrap", "--interval", "soon", "--", "true"]),
            dir.path(),
            &|_| None,
        );
        assert_eq!(s.interval, DEFAULT_INTERVAL);
        assert!(
            s.warnings[0].contains("invalid --interval \"soon\""),
            "{:?}",
            s.warnings
        );
        let s = wrap_settings(
            parse(&["wrap", "--interval", "10ms", "--", "true"]),
            dir.path(),
            &|_| None,
        );
        assert_eq!(s.interval, MIN_INTERVAL);
    }

    #[test]
    fn config_file_fills_unset_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".cicd-monitor.yml"),
            "wrap:\n  interval: 250ms\n  out: profiles\n  quiet: true\n",
        )
        .unwrap();
        let s = wrap_settings(
            parse(&["wrap", "--quiet=false", "--", "true"]),
            dir.path(),
            &|_| None,
        );
        assert_eq!(s.interval, Duration::from_millis(250));
        // A relative `out` in the file is relative to the file's directory.
        assert_eq!(s.out, dir.path().canonicalize().unwrap().join("profiles"));
        assert!(!s.quiet, "the flag wins over the file");
    }

    #[test]
    fn broken_config_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".cicd-monitor.yml"), "wrap: [\n").unwrap();
        let s = wrap_settings(parse(&["wrap", "--", "true"]), dir.path(), &|_| None);
        assert_eq!(s.warnings.len(), 1);
        assert!(
            s.warnings[0].contains(".cicd-monitor.yml"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn disable_switch() {
        let dir = tempfile::tempdir().unwrap();
        let s = wrap_settings(parse(&["wrap", "--", "true"]), dir.path(), &|k| {
            (k == env_vars::DISABLE).then(|| "1".to_owned())
        });
        assert!(s.disabled);
    }

    #[test]
    fn file_safe_names() {
        assert_eq!(file_safe("build"), "build");
        assert_eq!(file_safe("unit tests/linux"), "unit_tests_linux");
        assert_eq!(file_safe("../x"), "_x");
        assert_eq!(file_safe(""), "stage");
    }
}
