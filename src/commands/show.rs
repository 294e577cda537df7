//! `cicd-monitor show PROFILE`: the end-of-stage summary, from a file, on stdout.

use crate::cli::ShowArgs;
use crate::exit_codes;
use crate::profile::read_profile;
use crate::report::summary;

pub fn show(args: &ShowArgs) -> i32 {
    match read_profile(&args.profile) {
        Ok(p) => super::print_stdout(&summary::render(&p, None)),
        Err(e) => {
            crate::warn::report(&e);
            exit_codes::FAILURE
        }
    }
}
