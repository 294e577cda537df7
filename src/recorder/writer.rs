//! Appends records to `samples.jsonl`, one `write` per line, no user-space buffering across
//! records: a job killed at any moment leaves every complete line on disk.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::sample::record::Record;

/// Why the samples file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("failed to create samples file {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("failed to write samples file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The open samples file and a reused serialisation buffer.
pub struct SamplesWriter {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
}

impl SamplesWriter {
    /// Creates (truncates) the samples file.
    pub fn create(path: &Path) -> Result<SamplesWriter, WriterError> {
        let file = File::create(path).map_err(|source| WriterError::Create {
            path: path.to_owned(),
            source,
        })?;
        Ok(SamplesWriter {
            path: path.to_owned(),
            file,
            buf: Vec::with_capacity(8192),
        })
    }

    /// Appends one record as one line.
    pub fn write(&mut self, record: &Record) -> Result<(), WriterError> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, record).map_err(|e| WriterError::Write {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        self.buf.push(b'\n');
        self.file
            .write_all(&self.buf)
            .map_err(|source| WriterError::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// Flushes to the OS (the file is unbuffered; this is for symmetry and future buffering).
    pub fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
