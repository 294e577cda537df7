//! Secret redaction.
