//! Reports rendered from profiles. Depends on `profile` and `host` (for effective cores).

pub mod summary;
