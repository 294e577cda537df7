//! The pipeline packaging users copy: `action.yml`, `gitlab-template/`, `examples/`.
//!
//! Structure: each file parses (GitLab's `!reference` tags included), matches the public JSON
//! Schema vendored in `tests/schemas/` (SchemaStore's GitHub action and workflow schemas, GitLab's
//! CI schema; licences beside them), and names only `CICD_MONITOR_*` variables declared in
//! `src/env_vars.rs`. Behaviour: the shell embedded in the action and the template runs for real
//! with the binary, and must pass quotes, `$`, newlines and the exit status through. shellcheck
//! checks that shell when installed (required when `CI` is set). The Jenkins library is checked
//! by `.ci/check-groovy.sh`.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

const TEMPLATE: &str = "gitlab-template/cicd-monitor.gitlab-ci.yml";

/// Text with single quotes, a `$` that must stay literal, a variable the shell expands, several
/// lines and an exit status of its own.
const TRICKY: &str =
    "printf '%s|' \"it's\" '$HOME' \"$CM_TEST_VAR\"\necho\necho 'second line'\nexit 3";
const TRICKY_STDOUT: &str = "it's|$HOME|v a\"l'ue|\nsecond line\n";
const TEST_VAR: &str = "v a\"l'ue";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel))
        .unwrap_or_else(|e| panic!("failed to read {rel}: {e}"))
}

fn yaml(rel: &str) -> Yaml {
    serde_yaml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}

fn get<'a>(v: &'a Yaml, path: &[&str]) -> &'a Yaml {
    path.iter().fold(v, |v, k| &v[*k])
}

fn str_at<'a>(v: &'a Yaml, path: &[&str]) -> &'a str {
    get(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string"))
}

/// YAML as JSON for the schemas; a custom tag (`!reference [a, b]`) becomes its value, as
/// GitLab's own schema expects.
fn to_json(v: &Yaml) -> Json {
    match v {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap(),
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(s) => Json::Array(s.iter().map(to_json).collect()),
        Yaml::Mapping(m) => Json::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        other => serde_yaml::to_string(other).unwrap().trim().to_owned(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(t) => to_json(&t.value),
    }
}

/// Every scalar string in `v`.
fn strings(v: &Yaml, out: &mut Vec<String>) {
    match v {
        Yaml::String(s) => out.push(s.clone()),
        Yaml::Sequence(s) => s.iter().for_each(|v| strings(v, out)),
        Yaml::Mapping(m) => m.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        Yaml::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// The names declared in src/env_vars.rs: `pub const X: &str = "CICD_MONITOR_…";`.
fn declared_env_vars() -> BTreeSet<String> {
    let names: BTreeSet<String> = read("src/env_vars.rs")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split_once(": &str = \"").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_owned()))
        .collect();
    assert!(names.contains("CICD_MONITOR_STAGE"), "parsed {names:?}");
    names
}

/// Every `CICD_MONITOR_X` word in `text` (the bare prefix, as in `compgen -v CICD_MONITOR_`, is
/// no name).
fn env_var_words(text: &str) -> BTreeSet<String> {
    text.match_indices("CICD_MONITOR_")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .filter(|w| w != "CICD_MONITOR_")
        .collect()
}

/// Words `prefix` is followed by in `text`, e.g. input names after `inputs.`.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        })
        .collect()
}

fn schema_errors(schema: &str, instance: &Json) -> Vec<String> {
    let schema: Json = serde_json::from_str(&read(&format!("tests/schemas/{schema}"))).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// action.yml

fn action() -> Yaml {
    yaml("action.yml")
}

fn action_step<'a>(action: &'a Yaml, id: &str) -> &'a Yaml {
    get(action, &["runs", "steps"])
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("action.yml has no step with id {id}"))
}

#[test]
fn action_is_composite_and_every_run_step_names_its_shell() {
    let a = action();
    assert_eq!(str_at(&a, &["runs", "using"]), "composite");
    for step in get(&a, &["runs", "steps"]).as_sequence().unwrap() {
        if step.get("run").is_some() {
            assert!(
                step["shell"].as_str().is_some(),
                "composite run step without shell: {step:?}"
            );
        }
    }
}

#[test]
fn action_uses_every_input_and_only_declared_ones() {
    let a = action();
    let declared: BTreeSet<String> = get(&a, &["inputs"])
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    let mut texts = Vec::new();
    strings(get(&a, &["runs"]), &mut texts);
    strings(get(&a, &["outputs"]), &mut texts);
    let used: BTreeSet<String> = texts
        .iter()
        .flat_map(|t| names_after(t, "inputs."))
        .collect();
    assert_eq!(used, declared, "inputs used in runs/outputs vs declared");
    for (name, input) in get(&a, &["inputs"]).as_mapping().unwrap() {
        assert!(
            input["description"].as_str().is_some(),
            "input {name:?} has no description"
        );
        assert!(
            input["default"].as_str().is_some(),
            "input {name:?}: default must be a string"
        );
    }
    assert_eq!(
        str_at(&a, &["inputs", "github-token", "default"]),
        "${{ github.token }}"
    );
    for output in ["profile", "report-dir", "exit-code"] {
        assert!(
            get(&a, &["outputs", output, "value"]).as_str().is_some(),
            "output {output}"
        );
    }
}

#[test]
fn packaging_names_only_declared_env_vars() {
    let declared = declared_env_vars();
    for file in [
        "action.yml",
        TEMPLATE,
        "gitlab-template/README.md",
        "examples/github-workflow.yml",
        "examples/.gitlab-ci.yml",
        "examples/Jenkinsfile",
        "jenkins-lib/vars/cicdMonitor.groovy",
        "jenkins-lib/vars/cicdMonitor.txt",
    ] {
        let used = env_var_words(&read(file));
        let unknown: Vec<_> = used.difference(&declared).collect();
        assert!(
            unknown.is_empty(),
            "{file} names {unknown:?}, not in src/env_vars.rs"
        );
    }
    // What each integration must map.
    let must = |file: &str, names: &[&str]| {
        let used = env_var_words(&read(file));
        for n in names {
            assert!(used.contains(*n), "{file} does not use {n}");
        }
    };
    must(
        "action.yml",
        &[
            "CICD_MONITOR_STAGE",
            "CICD_MONITOR_INTERVAL",
            "CICD_MONITOR_TRACE_EXEC",
            "CICD_MONITOR_OUT",
            "CICD_MONITOR_DIR",
            "CICD_MONITOR_PUBLISH_TO",
            "CICD_MONITOR_COMMENT",
            "CICD_MONITOR_GITHUB_TOKEN",
        ],
    );
    must(
        TEMPLATE,
        &[
            "CICD_MONITOR_OUT",
            "CICD_MONITOR_DIR",
            "CICD_MONITOR_PUBLISH_TO",
            "CICD_MONITOR_GITLAB_TOKEN",
        ],
    );
    must(
        "jenkins-lib/vars/cicdMonitor.groovy",
        &["CICD_MONITOR_STAGE", "CICD_MONITOR_OUT"],
    );
}

#[test]
fn action_shell_takes_inputs_from_env_only() {
    // `${{ }}` inside `run:` is pasted into the script before bash reads it: a quote or `$(` in
    // an input would become code. Inputs reach the scripts through `env:`.
    let a = action();
    for step in get(&a, &["runs", "steps"]).as_sequence().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(
                !run.contains("${{"),
                "expression inside run: of step {:?}",
                step["id"]
            );
        }
    }
}

#[test]
fn action_publishes_always_without_masking_the_command_status() {
    let a = action();
    let publish = action_step(&a, "publish");
    let cond = publish["if"].as_str().unwrap();
    assert!(
        cond.contains("always()"),
        "publish must run after a failed command: if: {cond}"
    );
    let run = publish["run"].as_str().unwrap();
    assert!(
        run.contains("\"$CM_BIN\" publish ||"),
        "publish must not fail the job: {run}"
    );
    let wrap = action_step(&a, "wrap");
    let run = wrap["run"].as_str().unwrap();
    assert!(
        run.trim_end().ends_with("exit \"$status\""),
        "wrap step must exit with the command's status"
    );
    assert_eq!(
        str_at(&a, &["outputs", "exit-code", "value"]),
        "${{ steps.wrap.outputs.exit-code }}"
    );
}

#[test]
fn action_matches_the_schemastore_schema() {
    let errors = schema_errors("github-actions.json", &to_json(&action()));
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Runs the `run:` text of an action step as the runner does (`shell: bash` is
/// `bash --noprofile --norc -eo pipefail FILE`), in `dir`, with `env` only.
fn run_action_step(id: &str, dir: &Path, env: &[(&str, &str)]) -> (Output, String) {
    let a = action();
    let run = action_step(&a, id)["run"].as_str().unwrap().to_owned();
    let script = dir.join(format!("step-{id}.sh"));
    std::fs::write(&script, run).unwrap();
    let output_file = dir.join(format!("github-output-{id}"));
    std::fs::write(&output_file, "").unwrap();
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_PATH", dir.join("github-path"))
        .env("RUNNER_TEMP", dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (out, std::fs::read_to_string(output_file).unwrap())
}

/// `key=value` lines of a GITHUB_OUTPUT file.
fn output_value(outputs: &str, key: &str) -> Option<String> {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

/// The inputs' defaults as the wrap step gets them, overridden by `extra`.
fn wrap_env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("CM_BIN", env!("CARGO_BIN_EXE_cicd-monitor")),
        ("CM_COMMAND", TRICKY),
        ("CM_TEST_VAR", TEST_VAR),
        ("CICD_MONITOR_STAGE", "unit tests/linux"),
        ("CICD_MONITOR_JOB", ""),
        ("CICD_MONITOR_INTERVAL", ""),
        ("CICD_MONITOR_TRACE_EXEC", "false"),
        ("CICD_MONITOR_KILL_LINGERING", "false"),
        ("CICD_MONITOR_QUIET", "false"),
        ("CICD_MONITOR_CONFIG", ""),
        ("CICD_MONITOR_OUT", ".cicd-monitor"),
        ("CICD_MONITOR_DISABLE", "false"),
    ];
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k, v));
    }
    env
}

#[test]
fn action_wrap_step_passes_quotes_dollars_newlines_and_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let (out, outputs) = run_action_step("wrap", dir.path(), &wrap_env(&[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), TRICKY_STDOUT);
    assert!(
        stderr.contains("cicd-monitor: stage unit tests/linux: exit 3"),
        "{stderr}"
    );
    assert_eq!(output_value(&outputs, "exit-code").as_deref(), Some("3"));
    let profile = dir.path().join(".cicd-monitor/stage-unit_tests_linux.json");
    assert!(profile.is_file(), "no profile; stderr: {stderr}");
    assert_eq!(
        output_value(&outputs, "profile").map(PathBuf::from),
        Some(profile.canonicalize().unwrap())
    );
    let json: Json = serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    assert_eq!(json["stage"]["exit_code"], 3, "{json}");
}

#[test]
fn action_wrap_step_runs_like_a_run_step_with_pipefail() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = "false | true\necho not reached";
    let (out, outputs) = run_action_step("wrap", dir.path(), &wrap_env(&[("CM_COMMAND", cmd)]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(output_value(&outputs, "exit-code").as_deref(), Some("1"));
}

#[test]
fn action_wrap_step_without_a_binary_runs_the_command_unmonitored() {
    let dir = tempfile::tempdir().unwrap();
    let (out, outputs) = run_action_step("wrap", dir.path(), &wrap_env(&[("CM_BIN", "")]));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), TRICKY_STDOUT);
    assert_eq!(output_value(&outputs, "profile").as_deref(), Some(""));
}

#[test]
fn action_install_step_finds_the_binary_on_path_and_never_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = dir.path().join("tools");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_cicd-monitor"),
        bin_dir.join("cicd-monitor"),
    )
    .unwrap();
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display());
    let env = [
        ("PATH", path.as_str()),
        ("CM_INSTALL", "none"),
        ("CM_VERSION", ""),
        ("CM_REPOSITORY", ""),
        (
            "CM_ACTION_PATH",
            "/home/runner/work/_actions/someone/cicd-monitor/v0.1.0",
        ),
    ];
    let (out, outputs) = run_action_step("install", dir.path(), &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        output_value(&outputs, "bin"),
        Some(bin_dir.join("cicd-monitor").display().to_string())
    );
    // Not there: a warning, no failure, and no download attempted with install: none.
    let env = [
        ("CM_INSTALL", "none"),
        ("CM_VERSION", ""),
        ("CM_REPOSITORY", ""),
        ("CM_ACTION_PATH", ""),
    ];
    let (out, outputs) = run_action_step("install", dir.path(), &env);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("::warning"));
    assert_eq!(output_value(&outputs, "bin").as_deref(), Some(""));
}

#[test]
fn action_publish_step_never_fails_the_job() {
    let dir = tempfile::tempdir().unwrap();
    // Files only and no comment: nothing leaves this machine whatever `publish` can do.
    let env = [
        ("CM_BIN", env!("CARGO_BIN_EXE_cicd-monitor")),
        ("CICD_MONITOR_DIR", ".cicd-monitor"),
        ("CICD_MONITOR_CONFIG", ""),
        ("CICD_MONITOR_PUBLISH_TO", "files"),
        ("CICD_MONITOR_COMMENT", "false"),
        ("CICD_MONITOR_ARTIFACTS", ""),
        ("CICD_MONITOR_BASELINE", ""),
        ("CICD_MONITOR_STORE", ""),
        ("CICD_MONITOR_GITHUB_TOKEN", ""),
    ];
    let (out, _) = run_action_step("publish", dir.path(), &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, _) = run_action_step("publish", dir.path(), &[("CM_BIN", "false")]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("::warning title=cicd-monitor::publish failed")
    );
}

#[test]
fn example_workflow_matches_its_schema_and_the_action_inputs() {
    let wf = yaml("examples/github-workflow.yml");
    let errors = schema_errors("github-workflows.json", &to_json(&wf));
    assert!(errors.is_empty(), "{errors:#?}");
    let inputs = get(&action(), &["inputs"]).as_mapping().unwrap().clone();
    let mut uses_action = 0;
    for job in get(&wf, &["jobs"]).as_mapping().unwrap().values() {
        for step in job["steps"].as_sequence().unwrap() {
            if !step["uses"]
                .as_str()
                .is_some_and(|u| u.contains("/cicd-monitor@"))
            {
                continue;
            }
            uses_action += 1;
            for key in step["with"].as_mapping().unwrap().keys() {
                assert!(
                    inputs.contains_key(key),
                    "the workflow passes {key:?}, not an input"
                );
            }
        }
    }
    assert!(uses_action >= 3, "build, test and publish steps");
}

// ---------------------------------------------------------------------------------------------
// GitLab

fn template() -> Yaml {
    yaml(TEMPLATE)
}

/// Every `!reference [job, key, …]` in `v`.
fn references(v: &Yaml, out: &mut Vec<Vec<String>>) {
    match v {
        Yaml::Tagged(t) => {
            assert_eq!(t.tag.to_string(), "!reference", "unexpected tag");
            let path = t.value.as_sequence().expect("!reference takes a list");
            out.push(
                path.iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect(),
            );
        }
        Yaml::Sequence(s) => s.iter().for_each(|v| references(v, out)),
        Yaml::Mapping(m) => m.values().for_each(|v| references(v, out)),
        _ => {}
    }
}

#[test]
fn gitlab_template_has_hidden_jobs_and_one_post_stage_publish_job() {
    let t = template();
    let keys: Vec<&str> = t
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    // Nothing global (stages, variables, default, workflow): an include must not change them.
    let visible: Vec<_> = keys.iter().filter(|k| !k.starts_with('.')).collect();
    assert_eq!(
        visible,
        [&"cicd-monitor-publish"],
        "only the publish job is a real job"
    );
    assert!(keys.contains(&".cicd-monitor") && keys.contains(&".cicd-monitor-publish"));

    let wrap = &t[".cicd-monitor"];
    assert_eq!(str_at(wrap, &["artifacts", "when"]), "always");
    let paths = get(wrap, &["artifacts", "paths"]).as_sequence().unwrap();
    assert!(paths.iter().any(|p| p.as_str() == Some(".cicd-monitor/")));
    assert!(str_at(wrap, &["variables", "CICD_MONITOR_OUT"]).starts_with(".cicd-monitor/"));
    let setup = get(wrap, &["before_script"]).as_sequence().unwrap()[0]
        .as_str()
        .unwrap();
    assert!(setup.contains("cm() {"), "before_script defines cm");

    assert_eq!(
        str_at(&t, &["cicd-monitor-publish", "extends"]),
        ".cicd-monitor-publish"
    );
    let publish = &t[".cicd-monitor-publish"];
    assert_eq!(str_at(publish, &["stage"]), ".post");
    let rules = get(publish, &["rules"]).as_sequence().unwrap();
    assert_eq!(
        rules.last().unwrap()["when"].as_str(),
        Some("always"),
        "publishes after failures"
    );
    assert_eq!(
        str_at(publish, &["variables", "CICD_MONITOR_PUBLISH_TO"]),
        "gitlab"
    );
    let report_dir = str_at(publish, &["variables", "CICD_MONITOR_ARTIFACTS"]);
    assert_eq!(
        str_at(publish, &["artifacts", "reports", "metrics"]),
        format!("{report_dir}/metrics.txt")
    );
    assert_eq!(str_at(publish, &["artifacts", "when"]), "always");
}

#[test]
fn gitlab_references_resolve() {
    let t = template();
    for file in [TEMPLATE, "examples/.gitlab-ci.yml"] {
        let mut refs = Vec::new();
        references(&yaml(file), &mut refs);
        assert!(!refs.is_empty(), "{file} uses !reference");
        for path in refs {
            let target = path.iter().fold(&t, |v, k| &v[k.as_str()]);
            assert!(
                !target.is_null(),
                "{file}: !reference {path:?} does not resolve in the template"
            );
        }
    }
    let example = read("examples/.gitlab-ci.yml");
    assert!(
        example.contains(&format!("file: /{TEMPLATE}")),
        "the example includes the template"
    );
}

/// The file as GitLab's schema sees it, plus each hidden job as a real one: the schema does
/// not look inside hidden jobs, and the template is mostly hidden jobs.
fn gitlab_schema_instance(file: &str) -> Json {
    let mut doc = to_json(&yaml(file));
    let obj = doc.as_object_mut().unwrap();
    let hidden: Vec<(String, Json)> = obj
        .iter()
        .filter(|(k, _)| k.starts_with('.'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (name, mut job) in hidden {
        let job_obj = job.as_object_mut().unwrap();
        job_obj
            .entry("script")
            .or_insert_with(|| serde_json::json!(["true"]));
        obj.insert(format!("as-job{name}"), job);
    }
    doc
}

#[test]
fn gitlab_template_and_example_match_gitlabs_schema() {
    for file in [TEMPLATE, "examples/.gitlab-ci.yml"] {
        let errors = schema_errors("gitlab-ci.json", &gitlab_schema_instance(file));
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

/// A job's shell as GitLab's runner makes it for `sh` (POSIX): before_script and script lines
/// in one shell, stopping at the first failure.
fn gitlab_script(job: &Yaml, extra_lines: &[&str]) -> String {
    let t = template();
    let mut lines = vec!["set -e".to_owned()];
    for key in ["before_script", "script"] {
        for item in job[key].as_sequence().into_iter().flatten() {
            match item {
                Yaml::String(s) => lines.push(s.clone()),
                Yaml::Tagged(tag) => {
                    let path: Vec<&str> = tag
                        .value
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .map(|p| p.as_str().unwrap())
                        .collect();
                    let target = path.iter().fold(&t, |v, k| &v[*k]);
                    lines.extend(
                        target
                            .as_sequence()
                            .unwrap()
                            .iter()
                            .map(|l| l.as_str().unwrap().to_owned()),
                    );
                }
                other => panic!("unexpected script item {other:?}"),
            }
        }
    }
    lines.extend(extra_lines.iter().map(|l| (*l).to_owned()));
    lines.join("\n")
}

/// Runs `script` with `sh` in `dir` with the job's template variables, as GitLab expands them.
fn run_gitlab(job: &Yaml, script: &str, dir: &Path, path: &str, env: &[(&str, &str)]) -> Output {
    let file = dir.join("job.sh");
    std::fs::write(&file, script).unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg(&file)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("CI_PROJECT_DIR", dir)
        .env("CI_JOB_NAME_SLUG", "unit-tests");
    for (k, v) in job["variables"].as_mapping().into_iter().flatten() {
        let v = v
            .as_str()
            .unwrap()
            .replace("$CI_JOB_NAME_SLUG", "unit-tests")
            .replace("$CI_PROJECT_DIR", &dir.display().to_string());
        cmd.env(k.as_str().unwrap(), v);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

/// A PATH whose first directory holds `cicd-monitor` → `target`.
fn path_with_binary(dir: &Path, target: &str) -> String {
    let bin_dir = dir.join("tools");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(target, bin_dir.join("cicd-monitor")).unwrap();
    format!("{}:/usr/bin:/bin", bin_dir.display())
}

#[test]
fn gitlab_cm_wraps_commands_and_passes_their_exit_status() {
    let t = template();
    let job = &t[".cicd-monitor"];
    let dir = tempfile::tempdir().unwrap();
    let path = path_with_binary(dir.path(), env!("CARGO_BIN_EXE_cicd-monitor"));
    // `cm STAGE sh -c TEXT` as a job writes it; the quoting is the job author's, so the text
    // goes through an environment variable here.
    let script = gitlab_script(
        job,
        &["cm 'unit tests' sh -c \"$CM_TEXT\"", "echo not reached"],
    );
    let out = run_gitlab(
        job,
        &script,
        dir.path(),
        &path,
        &[("CM_TEXT", TRICKY), ("CM_TEST_VAR", TEST_VAR)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with(TRICKY_STDOUT), "{stdout}");
    assert!(!stdout.contains("not reached"));
    assert!(
        dir.path()
            .join(".cicd-monitor/unit-tests/stage-unit_tests.json")
            .is_file(),
        "{stderr}"
    );

    // Arguments pass as they are, not re-split.
    let script = gitlab_script(job, &["cm args printf '<%s>' 'a b' \"it's\" '$HOME'"]);
    let out = run_gitlab(job, &script, dir.path(), &path, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("<a b><it's><$HOME>"));
}

#[test]
fn gitlab_cm_without_a_binary_runs_unmonitored() {
    let t = template();
    let job = &t[".cicd-monitor"];
    let dir = tempfile::tempdir().unwrap();
    let script = gitlab_script(job, &["cm build sh -c \"$CM_TEXT\""]);
    let out = run_gitlab(
        job,
        &script,
        dir.path(),
        "/usr/bin:/bin",
        &[("CM_TEXT", TRICKY), ("CM_TEST_VAR", TEST_VAR)],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), TRICKY_STDOUT);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cicd-monitor: warning: cicd-monitor not found")
    );
    assert!(!dir.path().join(".cicd-monitor").exists());
}

#[test]
fn gitlab_publish_job_passes_every_job_directory_and_never_fails() {
    let t = template();
    let job = &t[".cicd-monitor-publish"];
    let dir = tempfile::tempdir().unwrap();
    // Profiles of two jobs as the artifacts of earlier jobs leave them.
    for job_dir in ["build", "unit-tests"] {
        let d = dir.path().join(".cicd-monitor").join(job_dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("stage-{job_dir}.json")), "{}").unwrap();
    }
    // A stand-in binary that records what publish got, then fails.
    let stub = dir.path().join("stub");
    std::fs::write(
        &stub,
        "#!/bin/sh\n[ \"$1\" = --version ] && exit 0\n\
         printf '%s\\n' \"$*\" \"$CICD_MONITOR_DIR\" \"$CICD_MONITOR_PUBLISH_TO\" \"$CICD_MONITOR_ARTIFACTS\" > published\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = path_with_binary(dir.path(), stub.to_str().unwrap());
    let out = run_gitlab(job, &gitlab_script(job, &[]), dir.path(), &path, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("publish failed (exit 1)"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("published")).unwrap(),
        "publish\n.cicd-monitor/build,.cicd-monitor/unit-tests\ngitlab\n.cicd-monitor/report\n"
    );
}

// ---------------------------------------------------------------------------------------------
// shellcheck

#[test]
fn embedded_shell_passes_shellcheck() {
    if Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "shellcheck is required in CI (.ci/run installs it)"
        );
        eprintln!("shellcheck not installed: skipped");
        return;
    }
    // (name, shell, text, excluded checks)
    let mut scripts: Vec<(String, &str, String, &str)> = Vec::new();
    let a = action();
    for step in get(&a, &["runs", "steps"]).as_sequence().unwrap() {
        if let Some(run) = step["run"].as_str() {
            scripts.push((
                format!("action.yml step {}", step["id"].as_str().unwrap()),
                "bash",
                run.to_owned(),
                "",
            ));
        }
    }
    let t = template();
    for job in [".cicd-monitor", ".cicd-monitor-publish"] {
        // GitLab may run `sh`: the template's shell is POSIX.
        scripts.push((
            format!("{TEMPLATE} {job}"),
            "sh",
            gitlab_script(&t[job], &[]),
            "",
        ));
    }
    // The Jenkins test's command text holds a '$HOME' that must stay literal (SC2016).
    for name in ["sh-build.sh", "publish.sh"] {
        let file = format!("jenkins-lib/test/expected/{name}");
        scripts.push((file.clone(), "sh", read(&file), "SC2016"));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, (name, shell, text, exclude)) in scripts.iter().enumerate() {
        let file = dir.path().join(format!("{i}.sh"));
        std::fs::write(&file, text).unwrap();
        let mut cmd = Command::new("shellcheck");
        cmd.args(["--shell", shell, "--severity", "style"]);
        if !exclude.is_empty() {
            cmd.args(["--exclude", exclude]);
        }
        let out = cmd.arg(&file).output().unwrap();
        if !out.status.success() {
            failures.push(format!("{name}:\n{}", String::from_utf8_lossy(&out.stdout)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gitlab_setup_installs_a_release_tarball_for_this_architecture() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "curl is part of the CI machine"
        );
        eprintln!("curl not installed: skipped");
        return;
    }
    let t = template();
    let job = &t[".cicd-monitor"];
    let dir = tempfile::tempdir().unwrap();
    // A release tarball on the local file system (file://: no network), named per target.
    let target = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    };
    let release = dir.path().join("release");
    std::fs::create_dir_all(release.join("cicd-monitor-dist")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_cicd-monitor"),
        release.join("cicd-monitor-dist/cicd-monitor"),
    )
    .unwrap();
    let tarball = release.join(format!("cicd-monitor-{target}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(&release)
        .arg("cicd-monitor-dist")
        .status()
        .unwrap();
    assert!(status.success());
    let url = format!(
        "file://{}/cicd-monitor-{{target}}.tar.gz",
        release.display()
    );
    let script = gitlab_script(job, &["cm build sh -c 'exit 5'"]);
    let out = run_gitlab(
        job,
        &script,
        dir.path(),
        "/usr/bin:/bin",
        &[("CM_DOWNLOAD_URL", &url)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        dir.path()
            .join(".cicd-monitor-bin/bin/cicd-monitor")
            .is_file(),
        "{stderr}"
    );
    assert!(
        dir.path()
            .join(".cicd-monitor/unit-tests/stage-build.json")
            .is_file(),
        "{stderr}"
    );
}
