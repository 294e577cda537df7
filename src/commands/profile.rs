//! `cicd-monitor profile --from-samples FILE`: rebuild a stage profile from its raw records,
//! e.g. when the job was killed before `wrap` could write the profile.

use std::path::{Path, PathBuf};

use crate::cli::ProfileArgs;
use crate::exit_codes;
use crate::model::replay::replay;
use crate::model::roles::RoleRules;
use crate::profile::write_profile_atomic;
use crate::report::summary;

pub fn profile(args: &ProfileArgs) -> i32 {
    let rules = match &args.config {
        Some(path) => match crate::config::load(path) {
            Ok(c) => RoleRules::with_user_rules(&c.roles),
            Err(e) => {
                crate::warn::report(&e);
                return exit_codes::USAGE;
            }
        },
        None => RoleRules::builtin(),
    };
    let profile = match replay(&args.from_samples, rules) {
        Ok(p) => p,
        Err(e) => {
            crate::warn::report(&e);
            return exit_codes::FAILURE;
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| profile_path_for_samples(&args.from_samples));
    if let Err(e) = write_profile_atomic(&out, &profile) {
        crate::warn::report(&e);
        return exit_codes::FAILURE;
    }
    super::print_stdout(&summary::render(&profile, Some(&out.display().to_string())))
}

/// `x/stage-build.samples.jsonl` → `x/stage-build.json`.
pub fn profile_path_for_samples(samples: &Path) -> PathBuf {
    let name = samples
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".samples.jsonl")
        .or_else(|| name.strip_suffix(".jsonl"))
        .unwrap_or(&name);
    samples.with_file_name(format!("{stem}.json"))
}
