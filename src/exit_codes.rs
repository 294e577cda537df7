//! Exit codes are API.
//!
//! `wrap` exits with the wrapped command's status, unchanged: its exit code, 128+N after death
//! by signal N, 127 when the command was not found and 126 when it could not be executed, as a
//! shell reports them. The tool's own failures use these constants.

/// Success.
pub const SUCCESS: i32 = 0;
/// A command of the tool failed (unreadable or invalid input, unwritable output).
pub const FAILURE: i32 = 1;
/// Invalid command line or configuration.
pub const USAGE: i32 = 2;
/// `wrap` could not start the command at all (fork failed): nothing ran. The same code
/// `env`, `nice` and container runtimes use for their own failures.
pub const WRAPPER_FAILED: i32 = 125;
