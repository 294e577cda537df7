//! `cicd-monitor profile --from-samples FILE`: rebuild a stage profile from its raw records,
//! e.g. when the job was killed before `wrap` could write the profile.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::cli::ProfileArgs;
use crate::exit_codes;
use crate::model::builder::ProfileBuilder;
use crate::model::roles::RoleRules;
use crate::profile::{StageProfile, write_profile_atomic};
use crate::report::summary;
use crate::sample::record::Record;

/// Why a samples file could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("failed to read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse {path} line {line}")]
    Parse {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path} is empty")]
    Empty { path: PathBuf },
}

/// Replays every record of `path` into a profile. A truncated last line (the job was killed
/// while writing it) is skipped with a warning in the profile; any other bad line is an error
/// naming its line number.
pub fn replay(path: &Path, rules: RoleRules) -> Result<StageProfile, ReplayError> {
    let file = std::fs::File::open(path).map_err(|source| ReplayError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut lines = std::io::BufReader::new(file).lines().enumerate().peekable();
    let mut builder = ProfileBuilder::new(rules);
    let mut count = 0;
    while let Some((i, line)) = lines.next() {
        let line = line.map_err(|source| ReplayError::Read {
            path: path.to_owned(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(&line) {
            Ok(record) => {
                builder.feed(&record);
                count += 1;
            }
            Err(e) if lines.peek().is_none() && e.is_eof() => {
                builder.warn(format!(
                    "line {} of the samples file was cut short (the job was killed while writing it) and was skipped",
                    i + 1
                ));
            }
            Err(source) => {
                return Err(ReplayError::Parse {
                    path: path.to_owned(),
                    line: i + 1,
                    source,
                });
            }
        }
    }
    if count == 0 {
        return Err(ReplayError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(builder.finish())
}

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
