//! Appends records to `samples.jsonl`. Records are buffered and written out at every sample
//! (and when 64 KiB pile up, and at the end): a job killed at any moment leaves everything up
//! to the last sample on disk, while trace mode's burst of per-process records costs one
//! `write` per sample instead of one per record.

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

    /// Appends one record as one line (buffered until [`SamplesWriter::flush`]).
    pub fn write(&mut self, record: &Record) -> Result<(), WriterError> {
        serde_json::to_writer(&mut self.buf, record).map_err(|e| WriterError::Write {
            path: self.path.clone(),
            source: io::Error::other(e),
        })?;
        self.buf.push(b'\n');
        if self.buf.len() >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes out every buffered record.
    pub fn flush(&mut self) -> Result<(), WriterError> {
        let result = self.file.write_all(&self.buf);
        // Whatever happened, these bytes are not retried: a full disk must not grow memory.
        self.buf.clear();
        result.map_err(|source| WriterError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

/// Buffered bytes that trigger a write before the next sample.
const FLUSH_BYTES: usize = 64 * 1024;
