//! cicd-monitor: exact, low-overhead resource profiles of CI/CD pipeline stages.
//!
//! Data flows one way: supervise → sample → profile (→ store → analyse → report).
//! See `ARCHITECTURE.md` for the map of modules and what each may depend on.

pub mod analyze;
pub mod ci;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod env_vars;
pub mod exit_codes;
pub mod host;
pub mod http;
pub mod model;
pub mod profile;
pub mod publish;
pub mod recorder;
pub mod redact;
pub mod report;
pub mod sample;
pub mod settings;
pub mod store;
pub mod supervise;
pub mod warn;
