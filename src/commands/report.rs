//! `cicd-monitor report`.

pub fn report(_args: &crate::cli::ReportArgs) -> i32 {
    crate::warn::error("`report` is not built yet");
    crate::exit_codes::FAILURE
}
