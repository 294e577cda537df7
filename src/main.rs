//! The `cicd-monitor` binary: parse arguments, run, exit with the result.

use clap::Parser;

fn main() {
    // First, before any work of ours: what this process used before `exec` is not our cost.
    cicd_monitor::recorder::mark_process_start();
    let cli = cicd_monitor::cli::Cli::parse();
    std::process::exit(cicd_monitor::commands::run(cli));
}
