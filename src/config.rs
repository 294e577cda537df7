//! The `.cicd-monitor.yml` configuration file.
