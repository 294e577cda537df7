//! Cgroup hierarchy discovery.
