//! `cicd-monitor wrap -- CMD…`: supervise the command, record its profile, print the summary.
//!
//! Fail-open from top to bottom: every monitoring step that fails becomes one warning line and
//! the command runs regardless; the exit status is always the command's.

use std::path::{Path, PathBuf};

use crate::cli::WrapArgs;
use crate::clock::Clock;
use crate::exit_codes;
use crate::model::builder::ProfileBuilder;
use crate::model::roles::RoleRules;
use crate::profile::write_profile_atomic;
use crate::recorder::{Recorder, RecorderOptions, SamplerImpl, samples_path_for};
use crate::redact::Redactor;
use crate::report::summary;
use crate::settings::{self, SamplerKind, WrapSettings};
use crate::supervise::{self, CommandSpec, Ended, Monitor, Outcome, ReapUsage, SuperviseOptions};

pub fn wrap(args: WrapArgs) -> i32 {
    let cwd = std::env::current_dir().ok();
    let settings = settings::wrap_settings(args, cwd.as_deref().unwrap_or(Path::new(".")), &|k| {
        std::env::var(k).ok()
    });
    for w in &settings.warnings {
        crate::warn::warn(w);
    }
    // A panic in monitoring code must not take the command's exit status with it: the
    // supervisor catches it; this hook makes it one warning line instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info.to_string().replace('\n', " ");
        crate::warn::warn(&format!(
            "internal error, monitoring stopped (the command is not affected): {what}"
        ));
    }));
    let spec = CommandSpec {
        argv: settings.command.clone(),
    };
    let opts = SuperviseOptions {
        interval: settings.interval,
        kill_lingering: settings.kill_lingering,
        kill_grace: settings.kill_grace,
        trace: settings.trace_exec && !settings.disabled,
    };

    if settings.disabled {
        let clock = Clock::start();
        return match supervise::run(&spec, &opts, &clock, &mut NoMonitor) {
            Ok(outcome) => outcome.ended.shell_code(),
            Err(e) => wrapper_failed(&e),
        };
    }

    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare(&settings, cwd.as_deref())
    }));
    let Ok((mut recorder, profile_path, clock)) = prepared else {
        // Setting up monitoring panicked (the hook printed why): run the command plainly.
        let clock = Clock::start();
        return match supervise::run(&spec, &opts, &clock, &mut NoMonitor) {
            Ok(outcome) => outcome.ended.shell_code(),
            Err(e) => wrapper_failed(&e),
        };
    };
    let outcome = match supervise::run(&spec, &opts, &clock, &mut recorder) {
        Ok(o) => o,
        Err(e) => return wrapper_failed(&e),
    };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        finish(&settings, &mut recorder, profile_path.as_deref(), &outcome)
    }));
    outcome.ended.shell_code()
}

/// Output paths, cgroup, sampler and recorder. Never fails: what cannot be set up is warned
/// about and left out.
fn prepare(settings: &WrapSettings, cwd: Option<&Path>) -> (Recorder, Option<PathBuf>, Clock) {
    let profile_path = match std::fs::create_dir_all(&settings.out) {
        Ok(()) => Some(settings.out.join(format!(
            "stage-{}.json",
            settings::file_safe(&settings.stage)
        ))),
        Err(e) => {
            crate::warn::warn(&format!(
                "failed to create output directory {}: {e}; no profile will be written",
                settings.out.display()
            ));
            None
        }
    };
    let sampler = make_sampler(settings);
    let config = &settings.config;
    let redactor = Redactor::new(std::env::vars(), &config.redact.env, &config.redact.args);
    let rules = RoleRules::with_user_rules(&config.roles);
    let clock = Clock::start();
    let options = RecorderOptions {
        stage: settings.stage.clone(),
        job: settings.job.clone(),
        argv: settings
            .command
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        cwd: cwd.map(|c| c.display().to_string()),
        interval_seconds: settings.interval.as_secs_f64(),
        trace: settings.trace_exec,
        samples_path: profile_path.as_deref().map(samples_path_for),
        describe: Box::new(|| {
            let env = |k: &str| std::env::var(k).ok();
            (
                crate::host::read_live_host(&env),
                crate::ci::detect_from_env(),
            )
        }),
    };
    let recorder = Recorder::new(
        clock,
        sampler,
        ProfileBuilder::new(rules),
        redactor,
        options,
    );
    (recorder, profile_path, clock)
}

fn make_sampler(settings: &WrapSettings) -> Option<SamplerImpl> {
    let pid = std::process::id();
    match settings.sampler {
        #[cfg(target_os = "linux")]
        SamplerKind::Linux => {
            use crate::sample::linux::{KernelUnits, LinuxSampler, cgroup::StageCgroup};
            let cgroup = match StageCgroup::create(
                Path::new("/"),
                KernelUnits::current().ticks_per_second,
            ) {
                Ok(cg) => Some(cg),
                Err(e) => {
                    crate::warn::warn(&format!(
                        "no stage cgroup ({}); CPU totals come from getrusage and peak memory from samples",
                        crate::warn::chain(&e)
                    ));
                    None
                }
            };
            Some(SamplerImpl::Linux(
                LinuxSampler::new(Path::new("/proc"), pid, cgroup).with_interval(settings.interval),
            ))
        }
        _ => match crate::sample::portable::PortableSampler::new(pid) {
            Ok(s) => Some(SamplerImpl::Portable(s)),
            Err(e) => {
                crate::warn::warn(&format!("{e}; only totals will be recorded"));
                None
            }
        },
    }
}

/// Writes the profile and prints the summary.
fn finish(
    settings: &WrapSettings,
    recorder: &mut Recorder,
    profile_path: Option<&Path>,
    outcome: &Outcome,
) {
    let Some(profile) = recorder.take_profile() else {
        return;
    };
    let mut written = None;
    if let Some(path) = profile_path {
        match write_profile_atomic(path, &profile) {
            Ok(()) => written = Some(path.display().to_string()),
            // After a failed samples write the user already knows the disk is unusable.
            Err(_) if recorder.output_failed() => {}
            Err(e) => crate::warn::warn(&crate::warn::chain(&e)),
        }
    }
    if !settings.quiet {
        let mut text = summary::render(&profile, written.as_deref());
        if !outcome.lingering.is_empty() {
            text.push_str(&summary::lingering_line(&profile, settings.kill_lingering));
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
    }
}

fn wrapper_failed(e: &supervise::SuperviseError) -> i32 {
    crate::warn::error(&crate::warn::chain(e));
    exit_codes::WRAPPER_FAILED
}

/// Monitoring switched off (`CICD_MONITOR_DISABLE`, or setup failed): supervise only.
struct NoMonitor;

impl Monitor for NoMonitor {
    fn command_forked(&mut self, _pid: u32, _in_cgroup: bool) -> Result<(), String> {
        Ok(())
    }
    fn sample(&mut self, _t: f64) {}
    fn reaped(&mut self, _t: f64, _pid: u32, _ended: Ended, _usage: ReapUsage) {}
    fn traced_fork(&mut self, _t: f64, _parent: u32, _child: u32) {}
    fn traced_exec(&mut self, _t: f64, _pid: u32) {}
    fn traced_exit(&mut self, _t: f64, _pid: u32, _ended: Ended) {}
    fn trace_unavailable(&mut self, _reason: &str) {}
    fn finished(&mut self, _t: f64, _outcome: &Outcome) {}
}
