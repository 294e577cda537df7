//! cicd-monitor: exact, low-overhead resource profiles of CI/CD pipeline stages.
//!
//! Data flows one way: supervise → sample → profile → (store → analyse → report).
//! See `ARCHITECTURE.md` for the map of modules.

pub mod ci;
pub mod config;
pub mod host;
pub mod model;
pub mod profile;
pub mod redact;
pub mod sample;
