//! `cicd-monitor schema [profile|samples|report]`: the JSON Schema of a file format, on stdout.
//! CI regenerates `schema/*.schema.json` with this and fails on any difference.

use crate::cli::{SchemaArgs, SchemaKind};

pub fn schema(args: &SchemaArgs) -> i32 {
    super::print_stdout(&render(args.kind))
}

/// The schema text, exactly as checked into `schema/`.
pub fn render(kind: SchemaKind) -> String {
    let schema = match kind {
        SchemaKind::Profile => schemars::schema_for!(crate::profile::StageProfile),
        SchemaKind::Samples => schemars::schema_for!(crate::sample::record::Record),
        SchemaKind::Report => schemars::schema_for!(crate::profile::report::JobReport),
    };
    let mut s = serde_json::to_string_pretty(&schema).expect("schemas serialise");
    s.push('\n');
    s
}
