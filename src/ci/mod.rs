//! CI context detection from the environment.
