//! Derived models built from raw samples.

pub mod roles;
