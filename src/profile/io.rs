//! Reading and writing profile files.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{SCHEMA_VERSION, StageProfile};

/// Why a profile could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileIoError {
    #[error("failed to read profile {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("failed to parse profile {path} at line {line}, column {column}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "profile {path} has schema_version {found}, newer than this cicd-monitor understands ({SCHEMA_VERSION}); upgrade cicd-monitor"
    )]
    NewerSchema { path: PathBuf, found: u64 },
    #[error("failed to write profile {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Reads and validates a stage profile.
pub fn read_profile(path: &Path) -> Result<StageProfile, ProfileIoError> {
    let bytes = fs::read(path).map_err(|source| ProfileIoError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_profile(path, &bytes)
}

/// Parses a stage profile from bytes; `path` only names the source in errors.
pub fn parse_profile(path: &Path, bytes: &[u8]) -> Result<StageProfile, ProfileIoError> {
    let parse_err = |source: serde_json::Error| ProfileIoError::Parse {
        path: path.to_owned(),
        line: source.line(),
        column: source.column(),
        source,
    };
    // Check the version first, so a newer profile gets a clear message rather than a field error.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u64,
    }
    let version: Version = serde_json::from_slice(bytes).map_err(parse_err)?;
    if version.schema_version > u64::from(SCHEMA_VERSION) {
        return Err(ProfileIoError::NewerSchema {
            path: path.to_owned(),
            found: version.schema_version,
        });
    }
    serde_json::from_slice(bytes).map_err(parse_err)
}

/// Writes `profile` to `path` atomically: a temporary file in the same directory, fsync'd, then
/// renamed over `path`, so readers never see a half-written profile.
pub fn write_profile_atomic(path: &Path, profile: &StageProfile) -> Result<(), ProfileIoError> {
    let mut buf = serde_json::to_vec_pretty(profile).map_err(|e| ProfileIoError::Write {
        path: path.to_owned(),
        source: io::Error::other(e),
    })?;
    buf.push(b'\n');
    write_file_atomic(path, &buf)
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename), for profiles and reports.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProfileIoError> {
    let write_err = |source: io::Error| ProfileIoError::Write {
        path: path.to_owned(),
        source,
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: do not leave a partial temporary file behind.
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(write_err)
}
