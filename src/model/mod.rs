//! Derived models built from raw records: per-process records, rates, peaks, roles.
//! Depends on `profile` (output types), `sample::record` (input types) and `clock`.

pub mod builder;
pub mod replay;
pub mod roles;

#[cfg(test)]
mod tests;
