//! Samplers and raw sample types.

#[cfg(target_os = "linux")]
pub mod linux;
