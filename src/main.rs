//! The `cicd-monitor` binary: parse arguments, run, exit with the result.

use clap::Parser;

fn main() {
    let cli = cicd_monitor::cli::Cli::parse();
    std::process::exit(cicd_monitor::commands::run(cli));
}
