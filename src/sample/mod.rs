//! Samplers: read the live process tree into raw [`record::Sample`]s.
//!
//! [`Sampler`] is the one interface; `linux` is first class (procfs with kept file handles,
//! cgroups, PSI), `portable` (sysinfo) serves macOS/Windows runners and is selectable on Linux.
//! Samplers produce raw counters only; rates, peaks and attribution live in `crate::model`.
//! May depend on `crate::profile` (shared wire types) and nothing else of the crate.

#[cfg(target_os = "linux")]
pub mod linux;
pub mod portable;
pub mod record;

use record::{ProcessInfo, Sample};

/// Why a whole sample failed (single processes that vanish are skipped, not errors).
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("failed to list the process tree from {path}")]
    Discover {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the sampler is not supported here: {0}")]
    Unsupported(String),
}

/// Reads the process tree below the wrapper.
pub trait Sampler {
    /// Takes one sample at `t` seconds since the stage start: clears and fills `out`
    /// (`t`, `host`, `cgroup`, `processes`; `reaped` is the caller's), and appends to `new` an
    /// identity record for each process seen for the first time or after an exec.
    fn sample(
        &mut self,
        t: f64,
        out: &mut Sample,
        new: &mut Vec<ProcessInfo>,
    ) -> Result<(), SampleError>;

    /// `linux` or `portable`.
    fn name(&self) -> &'static str;

    /// How tree members are found (`cgroup`, `children`, `portable`).
    fn discovery(&self) -> &'static str;
}
