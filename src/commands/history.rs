//! `cicd-monitor history`.

pub fn history(_args: &crate::cli::HistoryCommand) -> i32 {
    crate::warn::error("`history` is not built yet");
    crate::exit_codes::FAILURE
}
