//! Replay: a samples file (`stage-NAME.samples.jsonl`) fed record by record through the
//! profile builder, giving the same profile `wrap` wrote (or would have, for a killed job).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::model::builder::ProfileBuilder;
use crate::model::roles::RoleRules;
use crate::profile::StageProfile;
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
