//! Secret redaction: secrets never reach a profile, a log line or an error message.
//!
//! [`Redactor::redact_argv`] cleans a process's argument vector, [`Redactor::redact_str`] a
//! command line, a URL or a message. Both replace each secret with [`MASK`].
//!
//! # What is masked
//!
//! - Options named for a secret, with `=` or with the value as the next argument:
//!   `--password=x`, `--api-key x`, `--client-secret=x`, `-storepass x` become `--password=***`,
//!   `--api-key ***`, and so on. "Named for a secret" means the name, without `-`, `_` and `.`,
//!   ends in a secret word (`password`, `token`, `secret`, `apikey`, `accesskey`, `passphrase`,
//!   `credential`, `signature`, ...) or is one of a few short ones (`pass`, `pwd`, `sig`).
//!   The option names in `redact.args` count too.
//! - `key=value` pairs whose key is named for a secret, alone or inside a longer string:
//!   `token=***`, `-Dsonar.token=***`, `?access_token=***&page=2`, `Password=***;`.
//! - `Authorization:`, `Proxy-Authorization:` and `Cookie:` headers, and headers with a dash in
//!   the name that speak of a token, key, secret, password or auth (`PRIVATE-TOKEN:`,
//!   `X-Api-Key:`): the whole value, scheme included (`Authorization: ***`). Quoted keys named
//!   for a secret, as JSON and Python dicts print them, too: `"password": "***"`.
//! - User info in URLs: `scheme://user:***@host`, anywhere in a string. A user name of 20 bytes
//!   or more with no password in an `http(s)` URL is masked whole (`https://***@github.com/o/r`):
//!   that is how tokens are put in clone URLs, and real user names are shorter.
//! - `-p` where it means password: attached for the MySQL family (`mysql -p***`); attached or
//!   separate for `sshpass`, the MongoDB tools and after a `login` subcommand
//!   (`docker login -p ***`); `redis-cli -a ***`; `curl -u user:***` (also `-U`, `--user`,
//!   `--proxy-user`), HTTPie `-a user:***`, `lftp -u user,***`. Elsewhere `-p` is left alone:
//!   `gcc -pthread -pipe -pedantic`, `mkdir -p`, `ssh -p 22`, `docker run -p 80:80`.
//! - The values of secret environment variables, wherever they occur: variables whose name
//!   matches `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*PASSWD*`, `*KEY*`, `*CREDENTIAL*`,
//!   `*PASSPHRASE*`, `*JWT*`, `*_PASS`, `*_PWD` or `SSHPASS` (ignoring case), plus the globs in
//!   `redact.env`.
//!
//! A command line inside an argument (`sh -c 'mysql -pX'`) is redacted as a command line.
//!
//! # Trade-offs
//!
//! A leaked secret costs far more than a masked harmless word, so where the two conflict the
//! rules mask. Known false positives, all harmless: the value after a flag that merely mentions a
//! secret (`--no-password db` masks `db`); `--secret id=x,src=f` (BuildKit secret specs);
//! `--private-key=path`; any `X-…-Key:` header; the output file after `gcc -o mysql … -pthread`
//! (the word `mysql` starts the MySQL rules); an unquoted header in free text is masked to the
//! end of the line; values of `*KEY*` variables that are not secrets (`CACHE_KEY=v2-linux`) are
//! masked where they occur.
//!
//! Deliberate exceptions, where masking would hide useful text and protect nothing: paths to
//! secrets (`--key-file=path`, `--token-file`, `--password-file`: names ending in `file`, `path`,
//! `dir` are not named for a secret, and `*_FILE`/`*_PATH`/`*_DIR` variables are not secret
//! variables unless `redact.env` says so); `--password-stdin` (a flag); a bare `key=` (cache keys,
//! S3 object keys); environment values shorter than 6 bytes and words like `enabled`.
//!
//! Known false negatives: a password passed as a separate argument that starts with `-` (read as
//! the next option); secrets under names no rule knows (`--login TOKEN`) and variables with such
//! names (add them to `redact.args`/`redact.env`); unencoded `/`, `?`, `#` or spaces in URL
//! passwords; secrets split across arguments; short secrets in variables.
//!
//! Redacting is idempotent: redacting redacted text changes nothing, because every rule leaves
//! [`MASK`] as it is. (A secret variable whose value itself contains `***` could break this.)
//!
//! Depends on `crate::config` (the glob dialect) only.

use std::borrow::Cow;
use std::fmt;
use std::mem;

use crate::config::glob_match_ignore_ascii_case;

/// What every secret is replaced with.
pub const MASK: &str = "***";

/// Environment-variable name globs (case-insensitive) whose values are secrets.
const SECRET_ENV_GLOBS: [&str; 11] = [
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*KEY*",
    "*CREDENTIAL*",
    "*PASSPHRASE*",
    "*JWT*",
    "*_PASS",
    "*_PWD",
    "SSHPASS",
];

/// Variables with these name endings hold where a secret is, not the secret.
const LOCATION_ENV_SUFFIXES: [&str; 3] = ["_FILE", "_PATH", "_DIR"];

/// Shorter environment values are not masked: a value like `1` or `dev` would be replaced in
/// every path and number of a profile, and a value that short is no real secret anyway.
const MIN_SECRET_LEN: usize = 6;

/// Values of secret-named variables that are settings, not secrets (`GIT_TOKEN_AUTH=enabled`).
/// Shorter ones (`true`, `false`, `yes`, `off`, `none`) fall under [`MIN_SECRET_LEN`].
const NOT_SECRET_VALUES: [&str; 5] = ["enabled", "disabled", "default", "always", "never"];

/// Key or option names (without `-`, `_`, `.`; any case) ending in one of these are secret.
const SECRET_NAME_ENDINGS: [&str; 21] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "accountkey",
    "signingkey",
    "masterkey",
    "encryptionkey",
    "authkey",
    "credential",
    "credentials",
    "signature",
    "bearer",
    "secretid",
    "storepass",
    "keypass",
];

/// Key or option names that are secret only as the whole name (`pass=`, but not `bypass=`).
const SECRET_NAMES: [&str; 5] = ["pass", "pwd", "sig", "passin", "passout"];

/// Header names with a dash that contain one of these are secret (`X-Api-Key`, `PRIVATE-TOKEN`).
const SECRET_HEADER_WORDS: [&str; 7] = [
    "token",
    "key",
    "secret",
    "password",
    "auth",
    "credential",
    "signature",
];

/// A user name alone in an `http(s)` URL this long is taken for a token.
const TOKEN_USER_MIN_LEN: usize = 20;

/// How deep command lines inside arguments are followed (`sh -c "bash -c '…'"`).
const MAX_DEPTH: usize = 4;

/// Replaces secrets in argument vectors and text with [`MASK`].
#[derive(Clone, Default)]
pub struct Redactor {
    /// Values of secret environment variables, longest first, so that a secret containing
    /// another is masked whole.
    secrets: Vec<String>,
    /// Extra option names whose values are secret, as configured (`--db-pass`).
    extra_args: Vec<String>,
}

/// Shows how much the redactor knows, never the secrets themselves.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secret_values", &self.secrets.len())
            .field("extra_args", &self.extra_args)
            .finish()
    }
}

impl Redactor {
    /// Secret values come from environment variables whose NAME matches *TOKEN*, *SECRET*,
    /// *PASSWORD*, *PASSWD*, *KEY*, *CREDENTIAL* (case-insensitive, and a few more: see the
    /// module doc) plus `extra_env` globs; `extra_args` are extra option names whose values are
    /// secret.
    pub fn new(
        env: impl IntoIterator<Item = (String, String)>,
        extra_env: &[String],
        extra_args: &[String],
    ) -> Redactor {
        let mut secrets: Vec<String> = env
            .into_iter()
            .filter(|(name, _)| is_secret_env_name(name, extra_env))
            .filter_map(|(_, value)| secret_value(&value).map(str::to_owned))
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        let extra_args = extra_args
            .iter()
            .filter(|name| !name.trim_start_matches('-').is_empty())
            .cloned()
            .collect();
        Redactor {
            secrets,
            extra_args,
        }
    }

    /// Redacts an argument vector in place.
    pub fn redact_argv(&self, argv: &mut [String]) {
        let mut scan = Scan::new(self);
        for arg in argv.iter_mut() {
            let mut edit = Edit::new(arg);
            edit.apply(|token| scan.token(token, 0));
            edit.apply(|text| self.text_rules(text));
            if let Some(redacted) = edit.into_changed() {
                *arg = redacted;
            }
        }
    }

    /// Redacts free text (a command line, a URL, an error message).
    pub fn redact_str<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut edit = Edit::new(s);
        edit.apply(|text| self.redact_words(text, 0));
        edit.apply(|text| self.text_rules(text));
        match edit.into_changed() {
            Some(redacted) => Cow::Owned(redacted),
            None => Cow::Borrowed(s),
        }
    }

    /// Runs the argument rules over the shell words of `s`, keeping the text between them.
    fn redact_words(&self, s: &str, depth: usize) -> Option<String> {
        let mut scan = Scan::new(self);
        let mut splice = Splice::new(s);
        for (start, end) in word_spans(s) {
            if let Some(redacted) = scan.token(&s[start..end], depth) {
                splice.replace(start..end, &redacted);
            }
        }
        splice.finish()
    }

    /// The rules that look at a whole string rather than at words: headers (whose values have
    /// spaces), URL user info and secret values.
    fn text_rules(&self, s: &str) -> Option<String> {
        let mut edit = Edit::new(s);
        edit.apply(mask_colon_pairs);
        edit.apply(mask_url_userinfo);
        edit.apply(|text| self.mask_secret_values(text));
        edit.into_changed()
    }

    fn mask_secret_values(&self, s: &str) -> Option<String> {
        let mut edit = Edit::new(s);
        for secret in &self.secrets {
            edit.apply(|text| {
                text.contains(secret.as_str())
                    .then(|| text.replace(secret.as_str(), MASK))
            });
        }
        edit.into_changed()
    }

    /// Whether `option` (the text before any `=`) is one of the configured secret options.
    fn is_extra_arg(&self, option: &str) -> bool {
        let bare = option.trim_start_matches('-');
        self.extra_args
            .iter()
            .any(|extra| extra.trim_start_matches('-') == bare)
    }
}

fn is_secret_env_name(name: &str, extra_env: &[String]) -> bool {
    if extra_env
        .iter()
        .any(|glob| glob_match_ignore_ascii_case(glob, name))
    {
        return true;
    }
    SECRET_ENV_GLOBS
        .iter()
        .any(|glob| glob_match_ignore_ascii_case(glob, name))
        && !LOCATION_ENV_SUFFIXES
            .iter()
            .any(|suffix| ends_with_ignore_ascii_case(name, suffix))
}

/// The part of a secret variable's value worth masking, if any.
fn secret_value(value: &str) -> Option<&str> {
    let value = value.trim();
    let settings_word = NOT_SECRET_VALUES
        .iter()
        .any(|word| value.eq_ignore_ascii_case(word));
    (value.len() >= MIN_SECRET_LEN && !settings_word).then_some(value)
}

// ---------------------------------------------------------------------------------------------
// Argument rules

/// A program whose short options have secret values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Program {
    /// No known program, or one whose `-p`, `-u`, `-a` are not secrets (`ssh -p 22`).
    Unknown,
    /// `-pSECRET`, attached only: a separate word after `-p` is the database.
    Mysql,
    /// `-p SECRET` or `-pSECRET`: sshpass, MongoDB tools, `… login`.
    DashP,
    /// `redis-cli -a SECRET`.
    RedisCli,
    /// `curl -u user:SECRET`, also `-U`, `--user`, `--proxy-user`.
    Curl,
    /// HTTPie and xh: `-a user:SECRET`, `--auth`, and curl's `-u` for good measure.
    Httpie,
    /// `lftp -u user,SECRET`.
    Lftp,
}

/// What the next word is.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Nothing,
    /// The value of a secret option.
    Secret,
    /// `user<sep>password`.
    UserPass(char),
}

/// The state of a walk over the words of one command line.
struct Scan<'r> {
    redactor: &'r Redactor,
    program: Program,
    pending: Pending,
}

impl<'r> Scan<'r> {
    fn new(redactor: &'r Redactor) -> Scan<'r> {
        Scan {
            redactor,
            program: Program::Unknown,
            pending: Pending::Nothing,
        }
    }

    /// Redacts one word; a word wholly in quotes is judged by its content and keeps its quotes.
    fn token(&mut self, token: &str, depth: usize) -> Option<String> {
        match strip_enclosing_quotes(token) {
            Some((quote, inner)) => self
                .unquoted(inner, depth)
                .map(|redacted| format!("{quote}{redacted}{quote}")),
            None => self.unquoted(token, depth),
        }
    }

    fn unquoted(&mut self, token: &str, depth: usize) -> Option<String> {
        if matches!(token, ";" | "&&" | "||" | "|" | "&") {
            self.end_command();
            return None;
        }
        // `mysql -pX; make`: the `;` ends the command and is no part of the word.
        if let Some(body) = token.strip_suffix(';')
            && !body.is_empty()
        {
            let redacted = self.command_word(body, depth);
            self.end_command();
            return redacted.map(|redacted| redacted + ";");
        }
        self.command_word(token, depth)
    }

    fn command_word(&mut self, token: &str, depth: usize) -> Option<String> {
        match mem::replace(&mut self.pending, Pending::Nothing) {
            Pending::Secret if !is_option(token) => return mask_whole(token),
            Pending::UserPass(sep) if token.contains(sep) => return mask_after(token, sep),
            _ => {}
        }
        let has_space = token.bytes().any(|b| b.is_ascii_whitespace());
        if !has_space && let Some(program) = program_of(token) {
            self.program = program;
            return None;
        }
        let mut edit = Edit::new(token);
        edit.apply(|t| self.option(t));
        edit.apply(|t| mask_key_values(t, true));
        if has_space && depth < MAX_DEPTH {
            edit.apply(|t| self.redactor.redact_words(t, depth + 1));
        }
        edit.into_changed()
    }

    fn end_command(&mut self) {
        self.program = Program::Unknown;
        self.pending = Pending::Nothing;
    }

    /// Options: those of the current program, then any option named for a secret.
    fn option(&mut self, token: &str) -> Option<String> {
        if !is_option(token) {
            return None;
        }
        if let Some(redacted) = self.program_option(token) {
            return redacted;
        }
        let (name, value) = match token.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (token, None),
        };
        match value {
            // `--password x`. One-letter options mean too many things to guess, unless configured.
            None if (name.trim_start_matches('-').len() >= 2 && is_secret_name(name))
                || self.redactor.is_extra_arg(name) =>
            {
                self.pending = Pending::Secret;
                None
            }
            // `--password=x` is a `key=value`; configured names are not secret words.
            Some(value) if self.redactor.is_extra_arg(name) => {
                mask_whole(value).map(|mask| format!("{name}={mask}"))
            }
            _ => None,
        }
    }

    /// The current program's options with secret values: `Some(redacted)` when `token` is one,
    /// `None` when the generic rules should look at it.
    fn program_option(&mut self, token: &str) -> Option<Option<String>> {
        let (letters, user_long): (&[&str], &[&str]) = match self.program {
            Program::Unknown => return None,
            Program::Mysql => {
                let value = attached(token, "-p")?;
                return Some(mask_whole(value).map(|mask| format!("-p{mask}")));
            }
            Program::DashP => return self.secret_short(token, "-p"),
            Program::RedisCli => return self.secret_short(token, "-a"),
            Program::Curl => (&["-u", "-U"], &["--user", "--proxy-user"]),
            Program::Httpie => (&["-a", "-u"], &["--auth", "--user"]),
            Program::Lftp => (&["-u"], &[]),
        };
        let sep = if self.program == Program::Lftp {
            ','
        } else {
            ':'
        };
        for &letter in letters {
            if token == letter {
                self.pending = Pending::UserPass(sep);
                return Some(None);
            }
            if let Some(value) = attached(token, letter) {
                return Some(mask_after(value, sep).map(|masked| format!("{letter}{masked}")));
            }
        }
        for &long in user_long {
            if token == long {
                self.pending = Pending::UserPass(sep);
                return Some(None);
            }
            if let Some(value) = token.strip_prefix(long).and_then(|v| v.strip_prefix('=')) {
                return Some(mask_after(value, sep).map(|masked| format!("{long}={masked}")));
            }
        }
        None
    }

    /// `-p SECRET` (the next word) or `-pSECRET`.
    fn secret_short(&mut self, token: &str, letter: &str) -> Option<Option<String>> {
        if token == letter {
            self.pending = Pending::Secret;
            return Some(None);
        }
        let value = attached(token, letter)?;
        Some(mask_whole(value).map(|mask| format!("{letter}{mask}")))
    }
}

/// The program a word names, when its options matter here.
fn program_of(word: &str) -> Option<Program> {
    if word == "login" {
        // `docker login -p`, `helm registry login -p`, `az login -p`, ...
        return Some(Program::DashP);
    }
    if word.contains("://") {
        return None;
    }
    let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let name = name.strip_suffix(".exe").unwrap_or(name);
    let program = match name {
        "mysql" | "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlcheck" | "mysqlshow"
        | "mysqlpump" | "mysqlslap" | "mysqlsh" | "mariadb" | "mariadb-dump" | "mariadb-admin"
        | "mariadb-import" | "mariadb-check" | "mariadb-show" | "mariadb-slap" => Program::Mysql,
        "sshpass" | "mongo" | "mongosh" | "mongodump" | "mongorestore" | "mongoexport"
        | "mongoimport" | "mongostat" | "mongotop" => Program::DashP,
        "redis-cli" => Program::RedisCli,
        "curl" => Program::Curl,
        "http" | "https" | "httpie" | "xh" | "xhs" => Program::Httpie,
        "lftp" => Program::Lftp,
        // Their `-p`/`-u`/`-a` are no secrets, and they often share a command line with the
        // programs above: `sshpass -p x ssh -p 22 host`, `docker exec db mysql -pX`.
        "ssh" | "scp" | "sftp" | "rsync" | "docker" | "podman" | "nerdctl" | "kubectl" | "sudo"
        | "env" => Program::Unknown,
        _ => return None,
    };
    Some(program)
}

fn is_option(token: &str) -> bool {
    token.len() > 1 && token.starts_with('-')
}

/// The value attached to a one-letter option: `-pSECRET` → `SECRET`.
fn attached<'a>(token: &'a str, letter: &str) -> Option<&'a str> {
    token.strip_prefix(letter).filter(|value| !value.is_empty())
}

/// The whole word as a mask, unless it is empty or masked already.
fn mask_whole(value: &str) -> Option<String> {
    (!value.is_empty() && value != MASK).then(|| MASK.to_owned())
}

/// `user:pass` → `user:***`; a bare user name stays.
fn mask_after(value: &str, sep: char) -> Option<String> {
    let (user, secret) = value.split_once(sep)?;
    mask_whole(secret).map(|mask| format!("{user}{sep}{mask}"))
}

/// Whether a key or option name is named for a secret (see the module doc).
fn is_secret_name(name: &str) -> bool {
    SECRET_NAME_ENDINGS
        .iter()
        .any(|word| normalised_ends_with(name, word, false))
        || SECRET_NAMES
            .iter()
            .any(|word| normalised_ends_with(name, word, true))
}

/// Compares the end of `name`, lowercased and without `-`, `_`, `.`, with `word` (lowercase);
/// `whole` asks for the whole name. Allocation-free.
fn normalised_ends_with(name: &str, word: &str, whole: bool) -> bool {
    let mut letters = name
        .bytes()
        .rev()
        .filter(|b| !matches!(b, b'-' | b'_' | b'.'))
        .map(|b| b.to_ascii_lowercase());
    word.bytes().rev().all(|w| letters.next() == Some(w)) && (!whole || letters.next().is_none())
}

// ---------------------------------------------------------------------------------------------
// Rules inside strings

/// Bytes of a `key` in `key=value`.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Where an embedded value (`?token=x&…`, `Password=x;…`) ends.
fn ends_embedded_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'&' | b';' | b',' | b'"' | b'\'' | b')' | b']' | b'}' | b'<' | b'>' | b'|' | b'#'
        )
}

/// Masks the values of `key=value` pairs whose key is named for a secret. In `token_mode` a key
/// at the start of `s` owns the rest of it (`--password=a;b` is one argument).
fn mask_key_values(s: &str, token_mode: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut splice = Splice::new(s);
    let mut from = 0;
    while let Some(offset) = s[from..].find('=') {
        let eq = from + offset;
        from = eq + 1;
        let key_start = bytes[..eq]
            .iter()
            .rposition(|&b| !is_key_byte(b))
            .map_or(0, |at| at + 1);
        let key = &s[key_start..eq];
        if !key.bytes().any(|b| b.is_ascii_alphanumeric()) || !is_secret_name(key) {
            continue;
        }
        let (value_start, value_end) = match bytes.get(eq + 1) {
            Some(&quote @ (b'"' | b'\'')) => match s[eq + 2..].find(quote as char) {
                Some(len) => (eq + 2, eq + 2 + len),
                None => (eq + 1, s.len()),
            },
            _ if token_mode && key_start == 0 => (eq + 1, s.len()),
            _ => (
                eq + 1,
                bytes[eq + 1..]
                    .iter()
                    .position(|&b| ends_embedded_value(b))
                    .map_or(s.len(), |len| eq + 1 + len),
            ),
        };
        from = value_end.max(from);
        let value = &s[value_start..value_end];
        if !value.is_empty() && value != MASK {
            splice.replace(value_start..value_end, MASK);
        }
    }
    splice.finish()
}

/// Bytes of a header name or a quoted key.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Masks the values of secret headers (`Authorization: Bearer x`) and of quoted keys named for
/// a secret (`"password": "x"`, `{'token': 'x'}`).
fn mask_colon_pairs(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut splice = Splice::new(s);
    let mut from = 0;
    while let Some(offset) = s[from..].find(':') {
        let colon = from + offset;
        from = colon + 1;
        let quote = colon
            .checked_sub(1)
            .map(|at| bytes[at])
            .filter(|b| matches!(b, b'"' | b'\''));
        let name_end = if quote.is_some() { colon - 1 } else { colon };
        let name_start = bytes[..name_end]
            .iter()
            .rposition(|&b| !is_name_byte(b))
            .map_or(0, |at| at + 1);
        let name = &s[name_start..name_end];
        // `https://x-access-token:…@host` is URL user info, not a header.
        if name.is_empty() || s[..name_start].ends_with("//") {
            continue;
        }
        let secret = match quote {
            Some(q) => {
                name_start > 0
                    && bytes[name_start - 1] == q
                    && (is_secret_name(name) || is_secret_header(name))
            }
            None => is_secret_header(name),
        };
        if !secret {
            continue;
        }
        let mut start = colon + 1;
        while matches!(bytes.get(start), Some(b' ' | b'\t')) {
            start += 1;
        }
        let line_end = |at: usize| {
            bytes[at..]
                .iter()
                .position(|&b| matches!(b, b'\n' | b'\r'))
                .map_or(s.len(), |len| at + len)
        };
        let (value_start, value_end) = match bytes.get(start) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = line_end(start + 1);
                let close = bytes[start + 1..end]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(end, |len| start + 1 + len);
                (start + 1, close)
            }
            // A quoted key with a bare value: JSON numbers and the like.
            _ if quote.is_some() => {
                let end = bytes[start..]
                    .iter()
                    .position(|&b| b.is_ascii_whitespace() || matches!(b, b',' | b'}' | b']'))
                    .map_or(s.len(), |len| start + len);
                (start, end)
            }
            // A header runs to the end of the line, or to the quote that closes the argument
            // it was written in (`-H "Authorization: Bearer x"`).
            _ => {
                let end = bytes[start..]
                    .iter()
                    .position(|&b| matches!(b, b'\n' | b'\r' | b'"' | b'\''))
                    .map_or(s.len(), |len| start + len);
                (start, end)
            }
        };
        from = value_end.max(from);
        let value = &s[value_start..value_end];
        if !value.trim().is_empty() && value != MASK {
            splice.replace(value_start..value_end, MASK);
        }
    }
    splice.finish()
}

fn is_secret_header(name: &str) -> bool {
    ["authorization", "cookie", "set-cookie"]
        .iter()
        .any(|exact| name.eq_ignore_ascii_case(exact))
        || ends_with_ignore_ascii_case(name, "-authorization")
        || (name.contains('-')
            && SECRET_HEADER_WORDS
                .iter()
                .any(|word| contains_ignore_ascii_case(name, word)))
}

/// Masks passwords in URL user info: `scheme://user:***@host`.
fn mask_url_userinfo(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut splice = Splice::new(s);
    let mut from = 0;
    while let Some(offset) = s[from..].find("://") {
        let sep = from + offset;
        let authority_start = sep + 3;
        let authority_end = bytes[authority_start..]
            .iter()
            .position(|&b| {
                b.is_ascii_whitespace()
                    || matches!(
                        b,
                        b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\'
                    )
            })
            .map_or(s.len(), |len| authority_start + len);
        from = authority_end;
        let authority = &s[authority_start..authority_end];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        let (secret_start, secret) = match userinfo.find(':') {
            Some(colon) => (authority_start + colon + 1, &userinfo[colon + 1..]),
            None if userinfo.len() >= TOKEN_USER_MIN_LEN && is_http_scheme(&s[..sep]) => {
                (authority_start, userinfo)
            }
            None => continue,
        };
        if !secret.is_empty() && secret != MASK {
            splice.replace(secret_start..authority_start + at, MASK);
        }
    }
    splice.finish()
}

/// Whether the scheme that ends `before` (the text before `://`) is `http` or `https`.
fn is_http_scheme(before: &str) -> bool {
    let scheme_start = before
        .bytes()
        .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))
        .map_or(0, |at| at + 1);
    let scheme = &before[scheme_start..];
    ends_with_ignore_ascii_case(scheme, "http") || ends_with_ignore_ascii_case(scheme, "https")
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/// Byte ranges of shell words: runs of non-blanks, where a quote at the start of a word or
/// after `=` groups blanks up to the matching quote, and `\` escapes the next byte. An unmatched
/// quote is an ordinary character (apostrophes in prose).
fn word_spans(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = s.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        while let Some(&b) = bytes.get(pos) {
            match b {
                _ if b.is_ascii_whitespace() => break,
                b'\\' => pos += 2,
                b'"' | b'\'' if pos == start || bytes[pos - 1] == b'=' => {
                    match bytes[pos + 1..].iter().position(|&c| c == b) {
                        Some(len) => pos += len + 2,
                        None => pos += 1,
                    }
                }
                _ => pos += 1,
            }
        }
        // Every stop is at a blank or past the end, so `end` is a char boundary.
        pos = pos.min(bytes.len());
        Some((start, pos))
    })
}

/// `"…"` or `'…'` → the quote and what is inside.
fn strip_enclosing_quotes(token: &str) -> Option<(char, &str)> {
    let quote = token.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let inner = token.strip_prefix(quote)?.strip_suffix(quote)?;
    Some((quote, inner))
}

fn ends_with_ignore_ascii_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

fn contains_ignore_ascii_case(s: &str, word: &str) -> bool {
    s.as_bytes()
        .windows(word.len())
        .any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
}

/// A string that a chain of optional rewrites goes through; allocates only on a change.
struct Edit<'a> {
    original: &'a str,
    changed: Option<String>,
}

impl<'a> Edit<'a> {
    fn new(original: &'a str) -> Edit<'a> {
        Edit {
            original,
            changed: None,
        }
    }

    fn apply(&mut self, rewrite: impl FnOnce(&str) -> Option<String>) {
        let current = self.changed.as_deref().unwrap_or(self.original);
        if let Some(rewritten) = rewrite(current) {
            self.changed = Some(rewritten);
        }
    }

    fn into_changed(self) -> Option<String> {
        self.changed.filter(|changed| changed != self.original)
    }
}

/// Builds a copy of `source` with byte ranges replaced, in increasing order.
struct Splice<'a> {
    source: &'a str,
    out: String,
    copied: usize,
    changed: bool,
}

impl<'a> Splice<'a> {
    fn new(source: &'a str) -> Splice<'a> {
        Splice {
            source,
            out: String::new(),
            copied: 0,
            changed: false,
        }
    }

    fn replace(&mut self, range: std::ops::Range<usize>, with: &str) {
        self.out.push_str(&self.source[self.copied..range.start]);
        self.out.push_str(with);
        self.copied = range.end;
        self.changed = true;
    }

    fn finish(mut self) -> Option<String> {
        if !self.changed {
            return None;
        }
        self.out.push_str(&self.source[self.copied..]);
        Some(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(
            [
                ("GITHUB_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
                ("NPM_TOKEN", "npm_supersecretvalue"),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ),
                ("DB_PASS", "hunter2hunter2"),
                ("DEPLOY_HOOK", "hook-value-123"),
                ("MY_SECRET_SHORT", "abc"),
                ("FEATURE_TOKEN_AUTH", "enabled"),
                ("USE_KEYRING", "true"),
                ("SSH_KEY_PATH", "/home/runner/.ssh/id_ed25519"),
                ("HOME", "/home/runner"),
                ("PATH", "/usr/bin:/bin"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
            &["DEPLOY_*".to_owned()],
            &["--db-pass".to_owned(), "".to_owned(), "--".to_owned()],
        )
    }

    fn words(line: &str) -> Vec<String> {
        word_spans(line)
            .map(|(start, end)| {
                let word = &line[start..end];
                strip_enclosing_quotes(word)
                    .map_or(word, |(_, inner)| inner)
                    .to_owned()
            })
            .collect()
    }

    /// `(argv as a command line, redacted argv as a command line)`; words in `'…'` are one
    /// argument.
    #[rustfmt::skip]
    const ARGV_CASES: &[(&str, &str)] = &[
        ("mysql --password=hunter2 db", "mysql --password=*** db"),
        ("cmd --token=abc", "cmd --token=***"),
        ("cmd --secret=abc", "cmd --secret=***"),
        ("cmd --api-key=abc", "cmd --api-key=***"),
        ("cmd --api_key=abc", "cmd --api_key=***"),
        ("cmd --client-secret=abc --client-id=me", "cmd --client-secret=*** --client-id=me"),
        ("cmd --db-password=a=b;c", "cmd --db-password=***"),
        ("cmd --password abc --verbose", "cmd --password *** --verbose"),
        ("cmd --token abc", "cmd --token ***"),
        ("cmd --access-token 'abc def'", "cmd --access-token ***"),
        ("keytool -storepass changeit -keypass changeit2", "keytool -storepass *** -keypass ***"),
        ("openssl pkcs12 -passin pass:abc -passout pass:def", "openssl pkcs12 -passin *** -passout ***"),
        ("app --db-pass hunter3", "app --db-pass ***"),
        ("app --db-pass=hunter3", "app --db-pass=***"),
        ("app -db-pass=hunter3", "app -db-pass=***"),
        // -p means password
        ("mysql -uroot -pS3cr3t app", "mysql -uroot -p*** app"),
        ("/usr/bin/mysqldump -h db -u root -pS3cr3t --all-databases", "/usr/bin/mysqldump -h db -u root -p*** --all-databases"),
        ("mariadb -pS3cr3t", "mariadb -p***"),
        ("mysqladmin -pS3cr3t ping", "mysqladmin -p*** ping"),
        ("mysql -p app", "mysql -p app"),
        ("docker exec -i db mysql -uroot -pS3cr3t", "docker exec -i db mysql -uroot -p***"),
        ("docker run -p 3306:3306 mysql:8", "docker run -p 3306:3306 mysql:8"),
        ("sshpass -p S3cr3t ssh -p 22 host", "sshpass -p *** ssh -p 22 host"),
        ("sshpass -pS3cr3t scp -P 22 a host:b", "sshpass -p*** scp -P 22 a host:b"),
        ("mongosh -u admin -p S3cr3t", "mongosh -u admin -p ***"),
        ("docker login -u ci -p S3cr3t registry.example.com", "docker login -u ci -p *** registry.example.com"),
        ("docker login -u ci --password-stdin registry.example.com", "docker login -u ci --password-stdin registry.example.com"),
        ("helm registry login -u ci -pS3cr3t ghcr.io", "helm registry login -u ci -p*** ghcr.io"),
        ("redis-cli -a S3cr3t ping", "redis-cli -a *** ping"),
        // key=value
        ("env PASSWORD=abc TOKEN=def make", "env PASSWORD=*** TOKEN=*** make"),
        ("make API_KEY=abc access_key=def secret=ghi all", "make API_KEY=*** access_key=*** secret=*** all"),
        ("mvn -Dsonar.token=abc -Dgpg.passphrase=def deploy", "mvn -Dsonar.token=*** -Dgpg.passphrase=*** deploy"),
        ("cmd token= password=", "cmd token= password="),
        ("cmd token_type=bearer token_file=/run/t", "cmd token_type=bearer token_file=/run/t"),
        // headers
        ("curl -H 'Authorization: Bearer abc.def' https://api.example.com", "curl -H 'Authorization: ***' https://api.example.com"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x", "curl -H 'Authorization: ***' https://x"),
        ("curl --header 'PRIVATE-TOKEN: glpat-abc' https://gitlab.example.com/api", "curl --header 'PRIVATE-TOKEN: ***' https://gitlab.example.com/api"),
        ("curl -H 'X-Api-Key:abc' -H 'Accept: application/json' x", "curl -H 'X-Api-Key:***' -H 'Accept: application/json' x"),
        ("wget --header='Authorization: token abc' https://x", "wget --header='Authorization: ***' https://x"),
        // curl -u
        ("curl -u admin:S3cr3t https://x", "curl -u admin:*** https://x"),
        ("curl -uadmin:S3cr3t https://x", "curl -uadmin:*** https://x"),
        ("curl --user admin:S3cr3t https://x", "curl --user admin:*** https://x"),
        ("curl --user=admin:S3cr3t https://x", "curl --user=admin:*** https://x"),
        ("curl -U proxy:S3cr3t https://x", "curl -U proxy:*** https://x"),
        ("curl -u admin https://x", "curl -u admin https://x"),
        ("http -a admin:S3cr3t https://x", "http -a admin:*** https://x"),
        ("lftp -u admin,S3cr3t sftp://host", "lftp -u admin,*** sftp://host"),
        // URLs
        ("git clone https://x:y@host/r", "git clone https://x:***@host/r"),
        ("git clone https://oauth2:glpat-abc@gitlab.com/g/r.git", "git clone https://oauth2:***@gitlab.com/g/r.git"),
        ("git clone https://ghp_0123456789abcdefghij@github.com/o/r", "git clone https://***@github.com/o/r"),
        ("git clone https://gitlab-ci-token:abc@gitlab.com/g/r", "git clone https://gitlab-ci-token:***@gitlab.com/g/r"),
        ("git clone ssh://git@github.com/o/r", "git clone ssh://git@github.com/o/r"),
        ("psql postgres://app:S3cr3t@db:5432/app", "psql postgres://app:***@db:5432/app"),
        ("curl 'https://x/?access_token=abc&page=2'", "curl 'https://x/?access_token=***&page=2'"),
        ("curl https://s3.amazonaws.com/b/k?X-Amz-Credential=AKIA%2F&X-Amz-Signature=abc", "curl https://s3.amazonaws.com/b/k?X-Amz-Credential=***&X-Amz-Signature=***"),
        // command lines inside arguments
        ("sh -c 'mysql -uroot -pS3cr3t db && curl -u a:b https://x'", "sh -c 'mysql -uroot -p*** db && curl -u a:*** https://x'"),
        ("bash -c 'echo ok; gcc -pthread x.c'", "bash -c 'echo ok; gcc -pthread x.c'"),
        // secret environment values
        ("npm config set //registry.npmjs.org/:_authToken npm_supersecretvalue", "npm config set //registry.npmjs.org/:_authToken ***"),
        ("npm config set //npm.pkg.github.com/:_authToken=abc", "npm config set //npm.pkg.github.com/:_authToken=***"),
        ("git push https://github.com/o/r ghp_abcdefghijklmnopqrstuvwxyz0123456789", "git push https://github.com/o/r ***"),
        ("aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws configure set aws_secret_access_key ***"),
        ("app --conn=db://u@h?p=hunter2hunter2", "app --conn=db://u@h?p=***"),
        ("notify hook-value-123", "notify ***"),
    ];

    /// Arguments that must come out unchanged.
    const UNTOUCHED: &[&str] = &[
        "gcc -pthread -pipe -pedantic -pedantic-errors -O2 -c x.c -o x.o",
        "mkdir -p build/x",
        "ssh -p 22 git@github.com",
        "scp -P 2222 a host:b",
        "docker run -p 8080:80 -u 1000:1000 nginx",
        "docker run --user=1000:1000 img",
        "cc -print-file-name=libc.so",
        "tar -xzpf a.tgz",
        "rsync -a -p src dst",
        "curl -fsSL https://example.com/install.sh",
        "git clone https://github.com/o/r.git",
        "curl --key-file=/etc/ssl/client.key --key /etc/ssl/k.pem https://x",
        "gpg --passphrase-file /run/p --batch",
        "cargo build --release --target-dir /home/runner/target",
        "python -m pytest -k 'token and not slow'",
        "git -c credential.helper= fetch",
        "ls /home/runner/.ssh/id_ed25519.pub",
        "kubectl get secret",
        "aws sts get-caller-identity",
        "echo USE_KEYRING=true",
        "sort -u -k2 file",
        "cmake -DENABLE_TOKENS=ON ..",
        "pip install --index-url https://pypi.org/simple x",
    ];

    #[test]
    fn argv_cases() {
        let r = redactor();
        let mut failures = Vec::new();
        for &(input, expected) in ARGV_CASES {
            let mut argv = words(input);
            r.redact_argv(&mut argv);
            let expected = words(expected);
            if argv != expected {
                failures.push(format!("{input}\n   got {argv:?}\n  want {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn untouched_argv() {
        let r = redactor();
        for &line in UNTOUCHED {
            let mut argv = words(line);
            r.redact_argv(&mut argv);
            assert_eq!(argv, words(line), "{line}");
            assert!(matches!(r.redact_str(line), Cow::Borrowed(_)), "{line}");
        }
    }

    /// The argv cases as one command line give the same result.
    #[test]
    fn command_lines_as_text() {
        let r = redactor();
        for &(input, expected) in ARGV_CASES {
            let redacted = r.redact_str(input);
            // Text keeps its quotes (`--token '***'`), so compare the words.
            assert_eq!(
                words(&redacted),
                words(expected),
                "{input}\n  got {redacted}"
            );
        }
    }

    #[test]
    fn free_text() {
        let r = redactor();
        let cases = [
            (
                "fatal: unable to access 'https://x-access-token:ghs_abc@github.com/o/r/': 403",
                "fatal: unable to access 'https://x-access-token:***@github.com/o/r/': 403",
            ),
            (
                "error: failed to push to https://user:p%40ss@host.example.com/r.git",
                "error: failed to push to https://user:***@host.example.com/r.git",
            ),
            ("https://u:p@ss@host/x", "https://u:***@host/x"),
            (
                "request headers: {'Authorization': 'Bearer abc', 'Accept': '*/*'}",
                "request headers: {'Authorization': '***', 'Accept': '*/*'}",
            ),
            (
                r#"{"username": "ci", "password": "S3cr3t", "token":"abc", "port": 5432}"#,
                r#"{"username": "ci", "password": "***", "token":"***", "port": 5432}"#,
            ),
            (r#"{"api_key": 12345678}"#, r#"{"api_key": ***}"#),
            (
                "GET /api HTTP/1.1\r\nAuthorization: Bearer abc\r\nHost: x\r\n",
                "GET /api HTTP/1.1\r\nAuthorization: ***\r\nHost: x\r\n",
            ),
            (
                "Server=db;Database=app;User Id=sa;Password=S3cr3t;",
                "Server=db;Database=app;User Id=sa;Password=***;",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc+/==;EndpointSuffix=core.windows.net",
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=***;EndpointSuffix=core.windows.net",
            ),
            (
                "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=abc%2Bdef&se=2030",
                "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=***&se=2030",
            ),
            (
                "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 rejected",
                "token *** rejected",
            ),
            (
                "can't run mysql -pS3cr3t here",
                "can't run mysql -p*** here",
            ),
            ("it's fine, nothing here", "it's fine, nothing here"),
            (
                "curl --password=\"two words\" x",
                "curl --password=\"***\" x",
            ),
            (
                "mysql -pS3cr3t; gcc -pthread x.c",
                "mysql -p***; gcc -pthread x.c",
            ),
            (
                "error: unexpected token: '}'",
                "error: unexpected token: '}'",
            ),
            ("std::string a = b;", "std::string a = b;"),
        ];
        for (input, expected) in cases {
            assert_eq!(r.redact_str(input), expected, "{input}");
        }
    }

    #[test]
    fn secret_environment_values() {
        let r = redactor();
        // Values from *TOKEN*, *SECRET*/*KEY*, *_PASS and the extra glob DEPLOY_*.
        assert_eq!(r.secrets.len(), 5, "{:?}", r.secrets);
        // Short values, settings words, booleans and paths are not secrets.
        for kept in [
            "abc",
            "enabled",
            "true",
            "/home/runner/.ssh/id_ed25519",
            "/home/runner",
        ] {
            assert!(!r.secrets.iter().any(|s| s == kept), "{kept}");
        }
        // Longest first: a secret containing another is masked whole.
        let r = Redactor::new(
            [
                ("A_TOKEN", "abcdef"),
                ("B_TOKEN", "abcdefghij"),
                ("C_TOKEN", "  abcdef\n"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
            &[],
            &[],
        );
        assert_eq!(r.secrets, ["abcdefghij", "abcdef"]);
        assert_eq!(r.redact_str("x abcdefghij y abcdef"), "x *** y ***");
        // Names are matched ignoring case, extra globs too.
        let r = Redactor::new(
            [("my_api_key", "k-0123456"), ("gh_pat", "pat-0123456")]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            &["*_PAT".to_owned()],
            &[],
        );
        assert_eq!(r.redact_str("k-0123456 pat-0123456"), "*** ***");
    }

    #[test]
    fn debug_does_not_show_secrets() {
        let shown = format!("{:?}", redactor());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("secret_values: 5"), "{shown}");
    }

    #[test]
    fn idempotent() {
        let r = redactor();
        let mut texts: Vec<&str> = ARGV_CASES.iter().flat_map(|(a, b)| [*a, *b]).collect();
        texts.extend(UNTOUCHED);
        for text in texts {
            let once = r.redact_str(text).into_owned();
            assert_eq!(r.redact_str(&once), once, "{text}");
            let mut argv = words(text);
            r.redact_argv(&mut argv);
            let mut twice = argv.clone();
            r.redact_argv(&mut twice);
            assert_eq!(twice, argv, "{text}");
        }
    }

    #[test]
    fn odd_input() {
        let r = redactor();
        for (input, expected) in [
            ("", ""),
            ("=", "="),
            ("==", "=="),
            ("--password", "--password"),
            ("--password=", "--password="),
            ("-p", "-p"),
            (":", ":"),
            ("://", "://"),
            ("://@", "://@"),
            ("https://:@h", "https://:@h"),
            ("Authorization:", "Authorization:"),
            ("Authorization: ", "Authorization: "),
            ("'", "'"),
            ("\"", "\""),
            ("\\", "\\"),
            ("é=é", "é=é"),
            ("mot_de_passe_été=x", "mot_de_passe_été=x"),
            ("tökén=x password=ü", "tökén=x password=***"),
            ("curl -u ü:ö", "curl -u ü:***"),
            ("mysql -pñ", "mysql -p***"),
            ("https://ü:ö@h", "https://ü:***@h"),
            ("\u{0}--token\u{0}=x", "\u{0}--token\u{0}=x"),
        ] {
            assert_eq!(r.redact_str(input), expected, "{input:?}");
        }
        let mut argv: Vec<String> = vec![];
        r.redact_argv(&mut argv);
        let mut argv = vec!["mysql".to_owned(), "--password".to_owned()];
        r.redact_argv(&mut argv);
        assert_eq!(argv, ["mysql", "--password"]);
        let mut argv = vec![String::new(), "--token".to_owned(), String::new()];
        r.redact_argv(&mut argv);
        assert_eq!(argv, ["", "--token", ""]);
    }

    /// Every string of up to four characters from an alphabet of the characters the rules care
    /// about: nothing panics, and redacting is idempotent.
    #[test]
    fn exhaustive_short_strings_never_panic_and_are_idempotent() {
        let r = Redactor::new(
            [("X_TOKEN".to_owned(), "s3cr3t".to_owned())],
            &[],
            &["-a".to_owned()],
        );
        let alphabet = [
            "-", "p", "=", ":", "@", "/", "\"", "'", " ", "é", "*", "\\", "a", "://", "token",
            "mysql", "-u", ";", "\n", "s3cr3t",
        ];
        let mut text = String::new();
        let check = |text: &str| {
            let once = r.redact_str(text).into_owned();
            assert_eq!(r.redact_str(&once), once, "{text:?}");
            let mut argv: Vec<String> = text.split(' ').map(str::to_owned).collect();
            r.redact_argv(&mut argv);
            let mut twice = argv.clone();
            r.redact_argv(&mut twice);
            assert_eq!(twice, argv, "{text:?}");
        };
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for d in alphabet {
                        text.clear();
                        text.extend([a, b, c, d]);
                        check(&text);
                    }
                }
            }
        }
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "--password",
            "-Dsonar.token",
            "DB_PASSWORD",
            "api_key",
            "apiKey",
            "X-Api-Key",
            "AccountKey",
            "client_secret",
            "sig",
            "pass",
            "X-Amz-Signature",
            "aws_secret_access_key",
            "refresh_token",
            "-storepass",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "key",
            "--key-file",
            "token_type",
            "password_file",
            "bypass",
            "sign",
            "user",
            "--password-stdin",
            "keyboard",
            "",
            "-",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
