//! The Linux sampler.

pub mod cgroupfs;
