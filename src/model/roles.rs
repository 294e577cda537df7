//! Process roles.
