//! Host fingerprint.
