//! The command layer: one function per subcommand, returning the process exit code. This is
//! the edge where errors get their context and become `error:` lines.

mod history;
mod profile;
mod publish;
mod recommend;
mod report;
mod schema;
mod show;
mod wrap;

use crate::cli::{Cli, Command};

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Wrap(args) => wrap::wrap(args),
        Command::Show(args) => show::show(&args),
        Command::Profile(args) => profile::profile(&args),
        Command::Schema(args) => schema::schema(&args),
        Command::Report(args) => report::report(&args),
        Command::Recommend(args) => recommend::recommend(&args),
        Command::History(args) => history::history(&args),
        Command::Publish(args) => publish::publish(&args),
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) ends quietly with success.
fn print_stdout(text: &str) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => crate::exit_codes::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => crate::exit_codes::SUCCESS,
        Err(e) => {
            crate::warn::error(&format!("failed to write to stdout: {e}"));
            crate::exit_codes::FAILURE
        }
    }
}
