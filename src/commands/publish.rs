//! `cicd-monitor publish`: renders the job report once per format and hands it to
//! `crate::publish` for the detected (or chosen) CI system.
//!
//! Exit codes: 0 when everything was published, 1 when publishing failed (the report files
//! written before the failure stay). Pipelines run it with `|| true` or `allow_failure` when a
//! failed comment must not fail the job; the packaged integrations do so.

use std::path::PathBuf;

use crate::cli::{PublishArgs, PublishTarget};
use crate::exit_codes;
use crate::publish::{self, PublishContent, PublishRequest, Target};
use crate::report::{self, markdown};

/// Room left in the comment for the marker line `publish` puts first.
const MARKER_ROOM: usize = 512;

pub fn publish(args: &PublishArgs) -> i32 {
    let Some(analysis) = super::report::load(&args.input) else {
        return exit_codes::FAILURE;
    };
    let content = PublishContent {
        step_summary_markdown: markdown::render(&analysis, markdown::STEP_SUMMARY_LIMIT, None),
        comment_markdown: markdown::render(&analysis, markdown::COMMENT_LIMIT - MARKER_ROOM, None),
        html: report::html::render(&analysis),
        json: report::json(&analysis),
        openmetrics: report::openmetrics::render(&analysis),
        console: report::terminal::render(&analysis),
    };
    let env = |k: &str| std::env::var(k).ok();
    let target = match args.to {
        PublishTarget::Auto => publish::detect(&env),
        PublishTarget::Github => Target::Github,
        PublishTarget::Gitlab => Target::Gitlab,
        PublishTarget::Jenkins => Target::Jenkins,
        PublishTarget::Files => Target::Files,
    };
    let artifacts = args.artifacts.clone().unwrap_or_else(|| {
        super::report::dirs(&args.input)
            .into_iter()
            .next()
            .unwrap_or_else(|| PathBuf::from(".cicd-monitor"))
            .join("report")
    });
    let mut request = PublishRequest::new(target, &artifacts, &content, &env);
    request.comment = args.comment;
    match publish::publish(&request) {
        Ok(outcome) => {
            for note in &outcome.notes {
                crate::warn::note(note);
            }
            if let Some(c) = &outcome.comment {
                crate::warn::note(&format!(
                    "{} comment {}",
                    match c.action {
                        publish::CommentAction::Created => "created",
                        publish::CommentAction::Updated => "updated",
                    },
                    c.url.clone().unwrap_or_else(|| c.id.to_string())
                ));
            }
            crate::warn::note(&format!("report files in {}", artifacts.display()));
            exit_codes::SUCCESS
        }
        Err(e) => {
            crate::warn::report(&e);
            exit_codes::FAILURE
        }
    }
}
