//! Errors of the history store. Every variant names the store (a path, or a `postgres://` URL
//! with its password masked) and database messages pass through [`DbError`], which masks URL
//! passwords again in case a driver quoted its connection string.

use std::path::PathBuf;

use thiserror::Error;

/// A failure of the history store.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported history store {location}: expected a file path or a postgres:// URL")]
    UnsupportedStore { location: String },
    #[error("failed to create the directory {} for the history store", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start the history store's runtime")]
    Runtime(#[source] std::io::Error),
    #[error("failed to open the history store {location}")]
    Open {
        location: String,
        #[source]
        source: DbError,
    },
    #[error("failed to migrate the history store {location} to the current schema")]
    Migrate {
        location: String,
        #[source]
        source: DbError,
    },
    #[error("failed to record run {run_key} in the history store {location}")]
    Ingest {
        location: String,
        run_key: String,
        #[source]
        source: DbError,
    },
    #[error("failed to query the history store {location}")]
    Query {
        location: String,
        #[source]
        source: DbError,
    },
    #[error("no stage profiles to record")]
    NoProfiles,
    #[error(
        "stage {first} and stage {second} come from different CI jobs; record each job's directory on its own"
    )]
    MixedJobs { first: String, second: String },
    #[error("stage {stage} appears twice in one job")]
    DuplicateStage { stage: String },
    #[error("stage {stage} has an invalid started_at {value:?} (expected RFC 3339 UTC)")]
    BadTimestamp { stage: String, value: String },
}

/// A database or migration error message, with URL passwords masked.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct DbError(String);

impl DbError {
    pub(crate) fn new(e: &dyn std::error::Error) -> DbError {
        // sqlx errors repeat their source in their own message: the top level says it all.
        DbError(redact_location(&e.to_string()))
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> DbError {
        DbError::new(&e)
    }
}

impl From<sqlx::migrate::MigrateError> for DbError {
    fn from(e: sqlx::migrate::MigrateError) -> DbError {
        DbError::new(&e)
    }
}

/// Masks the password of `scheme://user:password@host` and `password=…` parameters.
pub fn redact_location(text: &str) -> String {
    crate::redact::Redactor::new(std::iter::empty(), &[], &[])
        .redact_str(text)
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact_location("postgres://ci:s3cret@db.example.com:5432/history"),
            "postgres://ci:***@db.example.com:5432/history"
        );
        let masked = redact_location("postgres://db/history?user=ci&password=s3cret");
        assert!(!masked.contains("s3cret"), "{masked}");
        assert_eq!(
            redact_location("/var/lib/history.sqlite"),
            "/var/lib/history.sqlite"
        );
    }
}
