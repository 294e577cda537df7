//! TEMP stub
use std::path::{Path, PathBuf};
use std::time::Duration;
#[derive(Debug, Default)]
pub struct Config {
    pub roles: Vec<RoleRule>,
    pub redact: RedactConfig,
    pub wrap: WrapConfig,
}
#[derive(Debug)]
pub struct RoleRule;
#[derive(Debug, Default)]
pub struct RedactConfig {
    pub env: Vec<String>,
    pub args: Vec<String>,
}
#[derive(Debug, Default)]
pub struct WrapConfig {
    pub interval: Option<Duration>,
    pub out: Option<PathBuf>,
    pub sampler: Option<String>,
    pub trace_exec: Option<bool>,
    pub kill_lingering: Option<bool>,
    pub quiet: Option<bool>,
}
#[derive(Debug, thiserror::Error)]
#[error("failed to load config {0}")]
pub struct ConfigError(PathBuf);
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    Err(ConfigError(path.to_owned()))
}
pub fn discover(_start: &Path) -> Option<PathBuf> {
    None
}
