//! The `.cicd-monitor.yml` configuration file: extra process-role rules, extra redaction patterns
//! and defaults for `wrap`.
//!
//! ```yaml
//! roles:                       # tried in order, before the built-in rules
//!   - role: compiler
//!     name: "my-cc*"           # glob on the executable name
//!   - role: test_runner
//!     argv: "*integration*"    # glob matched against each argument
//! redact:
//!   env: ["*_PAT"]             # more environment variables whose values are secrets
//!   args: ["--db-pass"]        # more options whose values are secrets
//! wrap:
//!   interval: 500ms
//!   out: profiles              # relative to the directory holding this file
//!   sampler: linux             # or portable
//!   trace_exec: false
//!   kill_lingering: true
//!   quiet: false
//! ```
//!
//! [`discover`] finds the file and [`load`] reads and checks it. Every error names the file; errors
//! about the content also name the line, the column and the key, and say what shape was expected.
//! Merging the result with flags and `CICD_MONITOR_*` variables is the settings step's job, not
//! this module's.
//!
//! This module is also the home of the glob dialect that role rules and redaction patterns share
//! ([`glob_match`]): `*` matches any run of characters, `?` exactly one, everything else itself.
//! There is no escape: executable names and variable names do not contain `*` or `?`.
//!
//! Depends on `crate::profile` (for [`Role`]) and nothing else in the crate.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::profile::Role;

/// File names looked for by [`discover`], in order of preference.
pub const FILE_NAMES: [&str; 2] = [".cicd-monitor.yml", ".cicd-monitor.yaml"];

/// Names accepted for `wrap.sampler`.
pub const SAMPLERS: [&str; 2] = ["linux", "portable"];

/// The contents of a `.cicd-monitor.yml` file. Every section is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "snake_case",
    expecting = "a mapping with any of the sections `roles`, `redact`, `wrap`"
)]
pub struct Config {
    /// Extra role rules, tried in order before the built-in ones.
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<RoleRule>,
    /// Extra redaction patterns, added to the built-in ones.
    #[serde(default, deserialize_with = "null_as_default")]
    pub redact: RedactConfig,
    /// Defaults for `cicd-monitor wrap`; flags and environment variables override them.
    #[serde(default, deserialize_with = "null_as_default")]
    pub wrap: WrapConfig,
}

/// A user rule that gives a role to matching processes.
///
/// A rule matches when every pattern it has matches; it has at least one of `name` and `argv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRule {
    /// The role given to matching processes.
    pub role: Role,
    /// Glob on the executable name, e.g. `"my-cc*"`; tried on the name as the kernel reports it
    /// and on its normalised form (`x86_64-linux-gnu-gcc-12` → `gcc`).
    pub name: Option<String>,
    /// Glob matched against each argument, `argv[0]` included, e.g. `"*integration-tests*"`.
    pub argv: Option<String>,
}

/// A role rule as written, before the check that it has a pattern.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
struct RawRoleRule {
    #[serde(deserialize_with = "role")]
    role: Role,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    argv: Option<String>,
}

impl<'de> Deserialize<'de> for RoleRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RoleRule, D::Error> {
        // The check runs inside the mapping visitor, so serde_yaml gives its error the position
        // of the rule (`try_from` would report the position of the whole `roles` list).
        struct Rule;
        impl<'de> Visitor<'de> for Rule {
            type Value = RoleRule;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rule: `role` and a `name` or `argv` glob")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RoleRule, A::Error> {
                let raw = RawRoleRule::deserialize(MapAccessDeserializer::new(map))?;
                RoleRule::try_from(raw).map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_map(Rule)
    }
}

impl TryFrom<RawRoleRule> for RoleRule {
    type Error = String;

    fn try_from(raw: RawRoleRule) -> Result<RoleRule, String> {
        if raw.name.is_none() && raw.argv.is_none() {
            return Err(format!(
                "a `{}` rule needs a pattern: `name` (glob on the executable name), \
                 `argv` (glob on each argument) or both, e.g. `name: \"my-cc*\"`",
                raw.role
            ));
        }
        for (key, pattern) in [("name", &raw.name), ("argv", &raw.argv)] {
            if pattern.as_deref() == Some("") {
                return Err(format!(
                    "`{key}` is empty; write a glob such as \"my-tool*\", or leave `{key}` out"
                ));
            }
        }
        Ok(RoleRule {
            role: raw.role,
            name: raw.name,
            argv: raw.argv,
        })
    }
}

/// Extra redaction patterns; the built-in ones always apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "snake_case",
    expecting = "a mapping with the lists `env` and `args`"
)]
pub struct RedactConfig {
    /// Globs on environment-variable names (case-insensitive) whose values are secrets,
    /// e.g. `"*_PAT"`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: Vec<String>,
    /// Option names whose values are secrets, e.g. `"--db-pass"` (masks `--db-pass x` and
    /// `--db-pass=x`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<String>,
}

/// Defaults for `cicd-monitor wrap`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "snake_case",
    expecting = "a mapping of `wrap` settings such as `interval: 500ms`"
)]
pub struct WrapConfig {
    /// Time between samples, e.g. `"500ms"` or `"1s"`; greater than zero.
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
    /// Where profiles are written. [`load`] resolves a relative path against the directory
    /// holding the config file, so it means the same from any working directory.
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// The sampler: one of [`SAMPLERS`].
    #[serde(default, deserialize_with = "sampler")]
    pub sampler: Option<String>,
    /// Trace every exec and exit instead of sampling only.
    #[serde(default)]
    pub trace_exec: Option<bool>,
    /// Kill processes still running when the command ends.
    #[serde(default)]
    pub kill_lingering: Option<bool>,
    /// Print nothing but errors.
    #[serde(default)]
    pub quiet: Option<bool>,
}

/// Why a config file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("failed to read config file {path}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The file is not valid YAML, or a key or value is wrong.
    ///
    /// `message` starts with the key path (`roles[0].role: …`) when the error concerns a key.
    #[error("failed to load config file {path}{}: {message}", Position(*.line, *.column))]
    Parse {
        /// The config file.
        path: PathBuf,
        /// Line of the error, from 1, when known.
        line: Option<usize>,
        /// Column of the error, from 1, when known.
        column: Option<usize>,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// Formats `" at line L, column C"`, or nothing when the position is unknown.
struct Position(Option<usize>, Option<usize>);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(line), Some(column)) => write!(f, " at line {line}, column {column}"),
            (Some(line), None) => write!(f, " at line {line}"),
            _ => Ok(()),
        }
    }
}

/// Reads and checks a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut config = parse(path, &text)?;
    if let Some(out) = &mut config.wrap.out
        && out.is_relative()
        && let Some(dir) = path.parent()
    {
        *out = dir.join(&*out);
    }
    Ok(config)
}

/// Parses config text; `path` only names the source in errors. Relative paths stay as written.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    // A file holding only comments is an empty document, which YAML reads as null: no settings.
    let config: Option<Config> = serde_yaml::from_str(text).map_err(|err| {
        let location = err.location();
        let mut message = err.to_string();
        if let Some(location) = &location {
            // serde_yaml appends the position in its own words; ours goes up front instead.
            let suffix = format!(" at line {} column {}", location.line(), location.column());
            if let Some(at) = message.find(&suffix) {
                message.replace_range(at..at + suffix.len(), "");
            }
        }
        ConfigError::Parse {
            path: path.to_owned(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })?;
    Ok(config.unwrap_or_default())
}

/// Finds `.cicd-monitor.yml` (or `.cicd-monitor.yaml`) in `start` or its ancestors, stopping at
/// the first directory holding `.git` (the repository root; a file in a worktree counts too).
///
/// When both names exist in one directory, `.yml` wins.
pub fn discover(start: &Path) -> Option<PathBuf> {
    // Walk the real ancestors: a relative `start` has no ancestors of its own, and `..` in a path
    // would make the walk lexical rather than physical.
    let start = fs::canonicalize(start)
        .or_else(|_| std::path::absolute(start))
        .unwrap_or_else(|_| start.to_owned());
    for dir in start.ancestors() {
        if let Some(found) = FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|candidate| candidate.is_file())
        {
            return Some(found);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (none included) and
/// `?` exactly one character. Case-sensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob(pattern, text, |p, t| p == t)
}

/// [`glob_match`], ignoring ASCII case (for environment-variable names).
pub fn glob_match_ignore_ascii_case(pattern: &str, text: &str) -> bool {
    glob(pattern, text, |p, t| p.eq_ignore_ascii_case(&t))
}

/// Iterative wildcard matching with one backtrack point: linear for one `*`, never worse than
/// `O(pattern × text)`, no recursion and no allocation.
fn glob(pattern: &str, text: &str, eq: impl Fn(char, char) -> bool) -> bool {
    let (mut p, mut t) = (pattern, text);
    // After a `*`: the pattern after it and the text the `*` has not yet swallowed.
    let mut star: Option<(&str, &str)> = None;
    loop {
        let mut p_chars = p.chars();
        match p_chars.next() {
            Some('*') => {
                p = p_chars.as_str();
                star = Some((p, t));
                continue;
            }
            Some(pc) => {
                let mut t_chars = t.chars();
                if let Some(tc) = t_chars.next()
                    && (pc == '?' || eq(pc, tc))
                {
                    p = p_chars.as_str();
                    t = t_chars.as_str();
                    continue;
                }
            }
            None if t.is_empty() => return true,
            None => {}
        }
        // Mismatch: let the last `*` swallow one more character, or fail.
        let Some((star_p, star_t)) = star else {
            return false;
        };
        let mut rest = star_t.chars();
        if rest.next().is_none() {
            return false;
        }
        star = Some((star_p, rest.as_str()));
        p = star_p;
        t = rest.as_str();
    }
}

/// Reads a missing or null section (`wrap:` with every key commented out) as the default.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads a role name, listing the valid ones when it is unknown.
fn role<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Role, D::Error> {
    struct RoleName;
    impl Visitor<'_> for RoleName {
        type Value = Role;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a role name, one of: {}", role_names())
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<Role, E> {
            Role::from_name(name).ok_or_else(|| {
                E::custom(format!(
                    "unknown role `{name}`, expected one of: {}",
                    role_names()
                ))
            })
        }
    }
    deserializer.deserialize_str(RoleName)
}

fn role_names() -> String {
    Role::ALL.map(Role::as_str).join(", ")
}

/// Reads an optional humantime duration such as `"500ms"`.
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    const EXAMPLE: &str = "write a number with a unit, like \"500ms\", \"2s\" or \"1m 30s\"";
    struct HumanDuration;
    impl Visitor<'_> for HumanDuration {
        type Value = Option<Duration>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a duration; {EXAMPLE}")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<Duration>, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<Duration>, E> {
            match humantime::parse_duration(text) {
                Ok(d) if d.is_zero() => Err(E::custom(format!(
                    "invalid duration `{text}`: it must be greater than zero; {EXAMPLE}"
                ))),
                Ok(d) => Ok(Some(d)),
                Err(err) => Err(E::custom(format!(
                    "invalid duration `{text}` ({err}); {EXAMPLE}"
                ))),
            }
        }
    }
    deserializer.deserialize_any(HumanDuration)
}

/// Reads an optional sampler name, one of [`SAMPLERS`].
fn sampler<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct SamplerName;
    impl<'de> Visitor<'de> for SamplerName {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a sampler name, one of: {}", SAMPLERS.join(", "))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, name: &str) -> Result<Option<String>, E> {
            if SAMPLERS.contains(&name) {
                Ok(Some(name.to_owned()))
            } else {
                Err(E::custom(format!(
                    "unknown sampler `{name}`, expected one of: {}",
                    SAMPLERS.join(", ")
                )))
            }
        }
    }
    deserializer.deserialize_any(SamplerName)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        parse(Path::new(".cicd-monitor.yml"), text)
            .unwrap_or_else(|err| panic!("config should parse: {err}\n---\n{text}"))
    }

    fn parse_err(text: &str) -> String {
        match parse(Path::new("/repo/.cicd-monitor.yml"), text) {
            Ok(config) => panic!("config should fail, got {config:?}\n---\n{text}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn empty_and_comment_only_files_give_defaults() {
        for text in ["", "\n", "# nothing yet\n", "---\n", "~\n"] {
            assert_eq!(parse_ok(text), Config::default(), "{text:?}");
        }
    }

    #[test]
    fn null_sections_give_defaults() {
        let config = parse_ok("roles:\nredact:\nwrap:\n  # interval: 1s\n");
        assert_eq!(config, Config::default());
        let config = parse_ok("redact:\n  env:\n  args: ~\n");
        assert_eq!(config.redact, RedactConfig::default());
    }

    #[test]
    fn full_config() {
        let config = parse_ok(
            r#"
roles:
  - role: compiler
    name: "my-cc*"
  - role: test_runner
    argv: "*integration-tests*"
  - role: network
    name: uploader
    argv: "--bucket=*"
redact:
  env: ["*_PAT", "DEPLOY_HOOK"]
  args: ["--db-pass"]
wrap:
  interval: 500ms
  out: profiles
  sampler: portable
  trace_exec: true
  kill_lingering: false
  quiet: true
"#,
        );
        assert_eq!(
            config.roles,
            vec![
                RoleRule {
                    role: Role::Compiler,
                    name: Some("my-cc*".into()),
                    argv: None
                },
                RoleRule {
                    role: Role::TestRunner,
                    name: None,
                    argv: Some("*integration-tests*".into())
                },
                RoleRule {
                    role: Role::Network,
                    name: Some("uploader".into()),
                    argv: Some("--bucket=*".into())
                },
            ]
        );
        assert_eq!(config.redact.env, ["*_PAT", "DEPLOY_HOOK"]);
        assert_eq!(config.redact.args, ["--db-pass"]);
        assert_eq!(
            config.wrap,
            WrapConfig {
                interval: Some(Duration::from_millis(500)),
                out: Some(PathBuf::from("profiles")),
                sampler: Some("portable".into()),
                trace_exec: Some(true),
                kill_lingering: Some(false),
                quiet: Some(true),
            }
        );
    }

    #[test]
    fn durations() {
        for (text, expected) in [
            ("1s", Duration::from_secs(1)),
            ("500ms", Duration::from_millis(500)),
            ("1m 30s", Duration::from_secs(90)),
            ("250us", Duration::from_micros(250)),
            ("2min", Duration::from_secs(120)),
        ] {
            let config = parse_ok(&format!("wrap:\n  interval: {text}\n"));
            assert_eq!(config.wrap.interval, Some(expected), "{text}");
        }
        assert_eq!(parse_ok("wrap:\n  interval: ~\n").wrap.interval, None);
    }

    /// Each bad config with the fragments its error message must contain.
    #[test]
    fn errors_name_line_column_key_and_expected_shape() {
        let cases: &[(&str, &[&str])] = &[
            (
                "roles:\n  - role: compilr\n    name: cc\n",
                &[
                    "/repo/.cicd-monitor.yml at line 2, column 11",
                    "roles[0].role: unknown role `compilr`",
                    "compiler, linker, assembler, test_runner",
                    ", other",
                ],
            ),
            (
                "roles:\n  - role: linker\n    name: ld\n  - role: compiler\n",
                &[
                    "at line 4, column 5",
                    "roles[1]: a `compiler` rule needs a pattern",
                    "`name`",
                    "`argv`",
                ],
            ),
            (
                "roles:\n  - role: linker\n    name: \"\"\n",
                &["at line 2", "roles[0]: `name` is empty"],
            ),
            (
                "roles:\n  - role: linker\n    nmae: ld\n",
                &[
                    "at line 3, column 5",
                    "roles[0]: unknown field `nmae`, expected one of `role`, `name`, `argv`",
                ],
            ),
            (
                "roles:\n  - name: ld\n",
                &["at line 2", "roles[0]: missing field `role`"],
            ),
            (
                "roles:\n  role: linker\n",
                &[
                    "at line 2, column 3",
                    "roles: invalid type: map, expected a sequence",
                ],
            ),
            (
                "roles:\n  - role: 3\n    name: x\n",
                &["at line 2, column 11", "roles[0].role: unknown role `3`"],
            ),
            (
                "wrap:\n  interval: 5 parsecs\n",
                &[
                    "at line 2, column 13",
                    "wrap.interval: invalid duration `5 parsecs`",
                    "\"500ms\"",
                ],
            ),
            (
                "wrap:\n  interval: 10\n",
                &[
                    "at line 2, column 13",
                    "wrap.interval: invalid type: integer `10`, expected a duration",
                    "\"500ms\"",
                ],
            ),
            (
                "wrap:\n  interval: 0s\n",
                &["wrap.interval: invalid duration `0s`: it must be greater than zero"],
            ),
            (
                "wrap:\n  interval: [1s]\n",
                &["wrap.interval: invalid type: sequence, expected a duration"],
            ),
            (
                "wrap:\n  sampler: ebpf\n",
                &[
                    "at line 2, column 12",
                    "wrap.sampler: unknown sampler `ebpf`, expected one of: linux, portable",
                ],
            ),
            (
                "wrap:\n  trace_exec: yes\n",
                &[
                    "at line 2, column 15",
                    "wrap.trace_exec: invalid type: string \"yes\", expected a boolean",
                ],
            ),
            (
                "wrap:\n  intervall: 1s\n",
                &["at line 2, column 3", "wrap: unknown field `intervall`"],
            ),
            (
                "redact:\n  env: \"*_PAT\"\n",
                &[
                    "at line 2",
                    "redact.env: invalid type: string \"*_PAT\", expected a sequence",
                ],
            ),
            (
                "redcat:\n  env: []\n",
                &[
                    "at line 1, column 1",
                    "unknown field `redcat`, expected one of `roles`, `redact`, `wrap`",
                ],
            ),
            (
                "- roles\n",
                &[
                    "at line 1",
                    "invalid type: sequence, expected a mapping with any of the sections `roles`",
                ],
            ),
            (
                "wrap: fast\n",
                &["wrap: invalid type: string \"fast\", expected a mapping of `wrap` settings"],
            ),
            (
                "wrap:\n  interval: 1s\n quiet: true\n",
                &[
                    "/repo/.cicd-monitor.yml at line",
                    "did not find expected key",
                ],
            ),
            (
                "a: [\n",
                &["failed to load config file /repo/.cicd-monitor.yml"],
            ),
            ("roles: []\n---\nroles: []\n", &["more than one document"]),
        ];
        for (text, fragments) in cases {
            let message = parse_err(text);
            assert!(
                message.starts_with("failed to load config file /repo/.cicd-monitor.yml"),
                "{message}"
            );
            for fragment in *fragments {
                assert!(
                    message.contains(fragment),
                    "error for {text:?}\n  {message}\nshould contain\n  {fragment}"
                );
            }
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let nested = "[".repeat(10_000);
        let aliases = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                       c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                       e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
        for text in [
            nested.as_str(),
            aliases,
            "\u{0}",
            "\u{feff}roles: []",
            "roles: *nope\n",
            "!!binary aGVsbG8=",
            "wrap: {interval: \"\u{1F600}\"}",
            "roles:\n  - role: compiler\n    name: [a]\n",
            "? [a]\n: b\n",
            "<<: {roles: []}\n",
        ] {
            let _ = parse(Path::new("x.yml"), text);
        }
    }

    #[test]
    fn load_reads_the_file_and_resolves_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".cicd-monitor.yml");
        fs::write(&path, "wrap:\n  out: profiles\n").unwrap();
        let config = load(&path).unwrap();
        assert_eq!(config.wrap.out, Some(dir.path().join("profiles")));

        fs::write(&path, "wrap:\n  out: /var/profiles\n").unwrap();
        assert_eq!(
            load(&path).unwrap().wrap.out,
            Some(PathBuf::from("/var/profiles"))
        );
    }

    #[test]
    fn load_errors_carry_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yml");
        let err = load(&missing).unwrap_err();
        assert!(matches!(&err, ConfigError::Read { path, .. } if *path == missing));
        assert_eq!(
            err.to_string(),
            format!("failed to read config file {}", missing.display())
        );

        // A directory where the file should be, and bytes that are not UTF-8.
        assert!(matches!(load(dir.path()), Err(ConfigError::Read { .. })));
        let binary = dir.path().join("bin.yml");
        fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(load(&binary), Err(ConfigError::Read { .. })));

        let bad = dir.path().join(".cicd-monitor.yml");
        fs::write(&bad, "wrap:\n  sampler: x\n").unwrap();
        match load(&bad).unwrap_err() {
            ConfigError::Parse {
                path,
                line,
                column,
                message,
            } => {
                assert_eq!(path, bad);
                assert_eq!((line, column), (Some(2), Some(12)));
                assert!(
                    message.starts_with("wrap.sampler: unknown sampler `x`"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn discover_walks_up_to_the_repository_root() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        let deep = repo.join("a/b/c");
        fs::create_dir_all(&deep).unwrap();
        fs::create_dir(repo.join(".git")).unwrap();
        let canonical = |p: &Path| fs::canonicalize(p).unwrap();

        // Nothing in the repository: the walk stops at `.git` and never sees files above it.
        fs::write(root.path().join(".cicd-monitor.yml"), "").unwrap();
        assert_eq!(discover(&deep), None);

        fs::write(repo.join(".cicd-monitor.yaml"), "").unwrap();
        assert_eq!(
            discover(&deep),
            Some(canonical(&repo).join(".cicd-monitor.yaml"))
        );

        // `.yml` wins over `.yaml`, and the nearest directory wins.
        fs::write(repo.join(".cicd-monitor.yml"), "").unwrap();
        assert_eq!(
            discover(&deep),
            Some(canonical(&repo).join(".cicd-monitor.yml"))
        );
        fs::write(deep.join(".cicd-monitor.yml"), "").unwrap();
        assert_eq!(
            discover(&deep),
            Some(canonical(&deep).join(".cicd-monitor.yml"))
        );

        // A directory with the file's name is not a config file.
        let other = root.path().join("other/x");
        fs::create_dir_all(other.join(".cicd-monitor.yml")).unwrap();
        fs::write(root.path().join("other/.git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(discover(&other), None);

        // `..` is resolved before walking.
        let dotted = deep.join("../../b");
        assert_eq!(
            discover(&dotted),
            Some(canonical(&repo).join(".cicd-monitor.yml"))
        );
    }

    #[test]
    fn globs() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
            ("gcc", "gcc", true),
            ("gcc", "gcc-12", false),
            ("gcc*", "gcc-12", true),
            ("*gcc", "x86_64-linux-gnu-gcc", true),
            ("*gcc*", "x86_64-linux-gnu-gcc-12", true),
            ("g?c", "gcc", true),
            ("g?c", "gc", false),
            ("?", "é", true),
            ("*é*", "café crème", true),
            ("*_PAT", "GH_PAT", true),
            ("*_PAT", "GH_PATH", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYc d", false),
            ("*a*a*a*a*a*b", &"a".repeat(200), false),
            ("--bucket=*", "--bucket=logs", true),
            ("**", "x", true),
            ("*?", "", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                glob_match(pattern, text),
                expected,
                "{pattern:?} vs {text:?}"
            );
        }
        assert!(!glob_match("*token*", "GITHUB_TOKEN"));
        assert!(glob_match_ignore_ascii_case("*token*", "GITHUB_TOKEN"));
    }
}
