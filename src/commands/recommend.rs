//! `cicd-monitor recommend`.

pub fn recommend(_args: &crate::cli::RecommendArgs) -> i32 {
    crate::warn::error("`recommend` is not built yet");
    crate::exit_codes::FAILURE
}
