//! `cicd-monitor publish`.

pub fn publish(_args: &crate::cli::PublishArgs) -> i32 {
    crate::warn::error("`publish` is not built yet");
    crate::exit_codes::FAILURE
}
