//! Process roles: which part of a build each process plays (compiler, linker, test runner, ...).
//!
//! [`RoleRules::classify`] looks at an executable name and an argument vector once per new
//! process or exec. The checks, in order:
//!
//! 1. the user's rules from `.cicd-monitor.yml`, first match wins;
//! 2. test binaries known by their file names: Rust `target/…/deps/name-<hash>`, Go `pkg.test`;
//! 3. the normalised name (directory, `.exe`, target triple and version removed:
//!    `x86_64-linux-gnu-gcc-12` → `gcc`, `python3.11` → `python`) looked up in one table
//!    (`lookup`). An entry either fixes the role or hands the arguments to a function that
//!    refines it (`cargo fetch` → package manager, `go test` → test runner). Interpreters and
//!    shells look at what they run (`python -m pytest`, `node …/tsc`, `java … ForkedBooter`) and
//!    fall back to `interpreter`/`shell` only when that is unknown, so a rule about arguments
//!    always wins over the fallback;
//! 4. Go test flags (`-test.v`) on a program the table does not know;
//! 5. `other`.
//!
//! Everything works on borrowed slices of the input: no allocation per call.
//!
//! Depends on `crate::profile` (the [`Role`] type) and `crate::config` (user rules, globs).

use crate::config::{RoleRule, glob_match};
use crate::profile::Role;

/// The rules that give each process a [`Role`]: the user's rules, then the built-in ones.
#[derive(Debug, Clone, Default)]
pub struct RoleRules {
    user: Vec<RoleRule>,
}

impl RoleRules {
    /// The built-in rules only.
    pub fn builtin() -> RoleRules {
        RoleRules::default()
    }

    /// Built-in rules with the user's rules from `.cicd-monitor.yml` tried first.
    pub fn with_user_rules(rules: &[RoleRule]) -> RoleRules {
        RoleRules {
            user: rules.to_vec(),
        }
    }

    /// The role of a process.
    ///
    /// `name` is the executable's base name (the wrapper passes the kernel's comm, or `argv[0]`'s
    /// base name when comm was truncated to 15 bytes); `argv` is the full argument vector.
    pub fn classify(&self, name: &str, argv: &[String]) -> Role {
        let normalised = normalise(name);
        if let Some(rule) = self
            .user
            .iter()
            .find(|rule| user_rule_matches(rule, name, normalised, argv))
        {
            return rule.role;
        }
        builtin_role(name, normalised, argv)
    }
}

/// A user rule matches when each pattern it has matches: `name` the name as given or normalised,
/// `argv` any one argument. A rule without patterns (the config loader refuses those) matches
/// nothing.
fn user_rule_matches(rule: &RoleRule, name: &str, normalised: &str, argv: &[String]) -> bool {
    if rule.name.is_none() && rule.argv.is_none() {
        return false;
    }
    let name_ok = rule
        .name
        .as_deref()
        .is_none_or(|glob| glob_match(glob, name) || glob_match(glob, normalised));
    let argv_ok = rule
        .argv
        .as_deref()
        .is_none_or(|glob| argv.iter().any(|arg| glob_match(glob, arg)));
    name_ok && argv_ok
}

fn builtin_role(name: &str, normalised: &str, argv: &[String]) -> Role {
    if is_test_binary(name, argv) {
        return Role::TestRunner;
    }
    if let Some(entry) = lookup(normalised) {
        return entry.role(argv);
    }
    // Go test binaries built under another name (`go test -c -o x`) still take `-test.*` flags.
    if argv.iter().skip(1).any(|arg| arg.starts_with("-test.")) {
        return Role::TestRunner;
    }
    Role::Other
}

/// What the table says about a name.
#[derive(Clone, Copy)]
enum Entry {
    /// The name alone decides.
    Is(Role),
    /// The arguments decide (`cargo fetch`, `go test`, `clang -cc1as`, `mvn dependency:…`).
    Refine(fn(&[String]) -> Role),
    /// An interpreter or a shell: the script or module it runs decides when known, else the
    /// fallback role.
    Runs(fn(&[String]) -> Option<Role>, Role),
}

impl Entry {
    fn role(self, argv: &[String]) -> Role {
        match self {
            Entry::Is(role) => role,
            Entry::Refine(refine) => refine(argv),
            Entry::Runs(runs, fallback) => runs(argv).unwrap_or(fallback),
        }
    }
}

/// The table of normalised executable names.
fn lookup(name: &str) -> Option<Entry> {
    use Entry::{Is, Refine, Runs};
    use Role::*;
    let entry = match name {
        // Compilers: the GCC drivers and the compilers proper they run (cc1*, lto1), and the
        // compilers of other languages. lto1 and lto-wrapper run at link time but do the
        // compiling of LTO, so their CPU is compile time.
        "cc1" | "cc1plus" | "cc1obj" | "cc1objplus" | "f951" | "gnat1" | "lto1" | "lto-wrapper"
        | "cpp" | "gcc" | "g++" | "cc" | "c++" | "c89" | "c99" | "gfortran" | "gccgo" | "icc"
        | "icpc" | "icx" | "icpx" | "tcc" | "cl" | "rustc" | "clippy-driver" | "rustdoc"
        | "javac" | "kotlinc" | "kotlinc-jvm" | "scalac" | "tsc" | "swiftc" | "swift-frontend"
        | "nvcc" | "cicc" | "cudafe++" | "ghc" | "dmd" | "ldc2" | "gdc" | "zig" | "csc" | "vbc"
        | "protoc" | "cython" | "esbuild" | "swc" | "babel" => Is(Compiler),
        // Go's compiler is `…/pkg/tool/<os_arch>/compile`; autotools' `compile` wrapper runs a
        // compiler too.
        "compile" => Is(Compiler),
        // Compiler caches and distributors stand in for the compiler they run: their hashing
        // and cache traffic is part of compile time.
        "ccache" | "sccache" | "distcc" | "icecc" => Is(Compiler),
        "clang" | "clang++" | "clang-cl" => Refine(clang),

        // Linkers. `ar`/`ranlib` build static libraries, the link step of a static target (CMake
        // and Ninja print "Linking C static library"), and `strip`/`objcopy`/`dsymutil` rework
        // linker output on the same critical path; counting them as archivers would mix link
        // time with the packaging of artifacts (tar, zip).
        "ld" | "ld.bfd" | "ld.gold" | "ld.lld" | "ld.mold" | "ld64" | "ld64.lld" | "lld"
        | "lld-link" | "rust-lld" | "wasm-ld" | "mold" | "gold" | "collect2" | "nvlink" => {
            Is(Linker)
        }
        "ar" | "ranlib" | "gcc-ar" | "gcc-ranlib" | "llvm-ar" | "llvm-ranlib" | "llvm-lib"
        | "lib" | "strip" | "llvm-strip" | "objcopy" | "llvm-objcopy" | "dsymutil" => Is(Linker),
        // Go's `…/pkg/tool/<os_arch>/link`, MSVC's link.exe, or coreutils' `link A B`.
        "link" => Refine(link),

        // Assemblers; `asm` is Go's, `ptxas` assembles CUDA PTX.
        "as" | "gas" | "nasm" | "yasm" | "asm" | "ptxas" | "llvm-mc" | "ml" | "ml64" | "armasm" => {
            Is(Assembler)
        }

        // Test runners. `rust_out` is a Rust doctest; `testhost` is .NET's test host.
        "pytest" | "py.test" | "jest" | "vitest" | "mocha" | "_mocha" | "karma" | "ava"
        | "jasmine" | "cypress" | "playwright" | "cargo-nextest" | "ctest" | "phpunit"
        | "paratest" | "pest" | "rspec" | "cucumber" | "prove" | "bats" | "busted" | "tox"
        | "nox" | "gotestsum" | "testhost" | "vstest.console" | "xctest" | "swift-test"
        | "rust_out" => Is(TestRunner),

        // Package managers. `npm-cli`/`npx-cli` are the scripts node runs for npm and npx.
        "npm" | "npx" | "npm-cli" | "npx-cli" | "yarn" | "yarnpkg" | "pnpm" | "pnpx"
        | "corepack" | "bunx" | "pip" | "pipx" | "uv" | "uvx" | "poetry" | "pdm" | "conda"
        | "mamba" | "micromamba" | "gem" | "bundle" | "bundler" | "composer" | "apt"
        | "apt-get" | "aptitude" | "dpkg" | "rpm" | "yum" | "dnf" | "microdnf" | "apk"
        | "zypper" | "pacman" | "brew" | "nuget" | "choco" | "vcpkg" | "conan" | "rustup"
        | "cpan" | "cpanm" | "luarocks" | "opam" | "sdkmanager" => Is(PackageManager),

        // Build tools. `build-script-build` is a Cargo build script.
        "make" | "gmake" | "bmake" | "ninja" | "samu" | "cmake" | "bazel" | "bazelisk" | "buck"
        | "buck2" | "scons" | "meson" | "msbuild" | "MSBuild" | "xcodebuild" | "gradle"
        | "gradlew" | "sbt" | "ant" | "mill" | "rake" | "autoconf" | "autoreconf" | "automake"
        | "libtool" | "configure" | "pkg-config" | "pkgconf" | "qmake" | "just" | "earthly"
        | "turbo" | "nx" | "lerna" | "webpack" | "vite" | "rollup" | "gulp" | "grunt" | "cabal"
        | "dune" | "lein" | "swift-build" | "cargo-clippy" | "build-script-build" => Is(BuildTool),
        "mvn" | "mvnw" | "mvnd" => Refine(maven),
        "cargo" => Refine(cargo),
        "go" => Refine(go),
        "dotnet" => Refine(dotnet),
        "swift" => Refine(swift),

        // Container clients and builders; Docker CLI plugins and credential helpers are
        // `docker-*`.
        "docker" | "dockerd" | "containerd" | "runc" | "podman" | "buildah" | "nerdctl"
        | "skopeo" | "crane" | "buildctl" | "buildkitd" | "ctr" | "kaniko" => Is(ContainerClient),
        n if n.starts_with("docker-") || n.starts_with("containerd-shim") => Is(ContainerClient),
        // Kaniko's binary is `/kaniko/executor`.
        "executor" => Refine(kaniko),

        // Archivers and compressors; `jar` packages Java archives.
        "tar" | "gtar" | "bsdtar" | "gzip" | "gunzip" | "zcat" | "pigz" | "unpigz" | "bzip2"
        | "bunzip2" | "pbzip2" | "lbzip2" | "xz" | "unxz" | "pixz" | "zstd" | "unzstd"
        | "zstdmt" | "pzstd" | "lz4" | "lzop" | "lzma" | "zip" | "unzip" | "7z" | "7za" | "7zr"
        | "rar" | "unrar" | "cpio" | "brotli" | "jar" => Is(Archiver),

        // Version control; git runs helpers named `git-*` (git-remote-https, git-lfs, ...).
        "git" | "hg" | "svn" | "svnversion" | "bzr" | "fossil" | "p4" => Is(Vcs),
        n if n.starts_with("git-") => Is(Vcs),

        // Network transfer.
        "curl" | "wget" | "aws" | "gsutil" | "gcloud" | "az" | "scp" | "sftp" | "ssh" | "rsync"
        | "rclone" | "azcopy" | "s3cmd" | "aria2c" | "ftp" | "lftp" | "gh" | "glab" | "jf"
        | "jfrog" | "oras" | "twine" => Is(Network),

        // Interpreters: what they run decides first.
        "python" | "pypy" => Runs(python, Interpreter),
        "node" | "nodejs" => Runs(node, Interpreter),
        "java" => Runs(java, Interpreter),
        "ruby" => Runs(ruby, Interpreter),
        "perl" => Runs(perl, Interpreter),
        "php" => Runs(php, Interpreter),
        "lua" | "luajit" => Runs(lua, Interpreter),
        "deno" | "bun" => Runs(deno_or_bun, Interpreter),
        "Rscript" | "tclsh" | "groovy" | "jshell" | "mono" | "erl" | "beam.smp" | "elixir" => {
            Is(Interpreter)
        }

        // Shells: `sh ./gradlew` is a build tool, `sh -c '…'` and `bash ci.sh` are shells.
        "sh" | "bash" | "dash" | "zsh" | "ksh" | "mksh" | "ash" | "tcsh" | "csh" | "fish" => {
            Runs(shell, Shell)
        }
        "pwsh" | "powershell" | "cmd" => Is(Shell),
        "busybox" => Refine(busybox),

        _ => return None,
    };
    Some(entry)
}

// ---------------------------------------------------------------------------------------------
// Names

/// Reduces an executable name to the name in the table: base name, no `.exe`, no target-triple
/// prefix, no version suffix. Returns a slice of `name`.
fn normalise(name: &str) -> &str {
    let name = base_name(name);
    let name = strip_suffix_ignore_ascii_case(name, ".exe").unwrap_or(name);
    strip_version(strip_target_triple(name))
}

/// The last component of a Unix or Windows path.
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn strip_suffix_ignore_ascii_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

/// `gcc-12` → `gcc`, `ld.lld-17` → `ld.lld`, `python3.11` → `python`, `pip3` → `pip`.
fn strip_version(name: &str) -> &str {
    strip_glued_version(strip_dash_version(name))
}

/// Removes a `-<digits and dots>` suffix: `clang++-15`, `gcc-12.2`.
fn strip_dash_version(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((tool, version))
            if !tool.is_empty()
                && version.starts_with(|c: char| c.is_ascii_digit())
                && version.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
        {
            tool
        }
        _ => name,
    }
}

/// Removes a version glued to the name, only for the tools that do that (`python3.11`,
/// `pip3`, `php8.2`, `lua5.4`): elsewhere trailing digits belong to the name (`cc1`, `lz4`).
fn strip_glued_version(name: &str) -> &str {
    const GLUED: [&str; 8] = [
        "python", "pypy", "pip", "ruby", "perl", "php", "lua", "tclsh",
    ];
    let tool = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if tool.len() < name.len() && GLUED.contains(&tool) {
        tool
    } else {
        name
    }
}

/// `x86_64-linux-gnu-gcc-12` → `gcc-12`: when the name starts with a CPU architecture, the tool
/// is the longest suffix after a `-` that the table knows. Unknown tools keep the whole name.
fn strip_target_triple(name: &str) -> &str {
    let Some((arch, _)) = name.split_once('-') else {
        return name;
    };
    if !is_arch(arch) {
        return name;
    }
    name.match_indices('-')
        .map(|(at, _)| &name[at + 1..])
        .find(|tool| lookup(strip_version(tool)).is_some())
        .unwrap_or(name)
}

fn is_arch(word: &str) -> bool {
    const EXACT: [&str; 16] = [
        "x86_64",
        "amd64",
        "i386",
        "i486",
        "i586",
        "i686",
        "aarch64",
        "aarch64_be",
        "s390x",
        "avr",
        "msp430",
        "xtensa",
        "m68k",
        "hppa",
        "ia64",
        "nvptx64",
    ];
    const FAMILIES: [&str; 9] = [
        "arm",
        "thumb",
        "riscv",
        "powerpc",
        "ppc",
        "mips",
        "loongarch",
        "sparc",
        "wasm",
    ];
    EXACT.contains(&word) || FAMILIES.iter().any(|family| word.starts_with(family))
}

/// The role of what an interpreter or shell runs, from the script path (`script_argv[0]`) and
/// its arguments. Interpreters and shells found there give `None`, so their own fallback holds
/// and nothing recurses.
fn script_role(script_argv: &[String]) -> Option<Role> {
    let path = script_argv.first()?;
    let file = base_name(path);
    let stem = [
        ".py", ".js", ".cjs", ".mjs", ".rb", ".pl", ".php", ".phar", ".lua",
    ]
    .iter()
    .find_map(|ext| file.strip_suffix(ext))
    .unwrap_or(file);
    match lookup(normalise(stem))? {
        Entry::Is(Role::Interpreter | Role::Shell) | Entry::Runs(..) => None,
        Entry::Is(role) => Some(role),
        Entry::Refine(refine) => Some(refine(script_argv)),
    }
}

/// The first argument after `argv[0]` that is not an option, skipping the values of the
/// options in `takes_value` (and `+toolchain` for cargo).
fn first_operand<'a>(argv: &'a [String], takes_value: &[&str]) -> Option<(usize, &'a str)> {
    let mut i = 1;
    while let Some(arg) = argv.get(i) {
        if takes_value.contains(&arg.as_str()) {
            i += 2;
        } else if arg.starts_with('-') || arg.starts_with('+') {
            i += 1;
        } else {
            return Some((i, arg));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Test binaries

fn is_test_binary(name: &str, argv: &[String]) -> bool {
    let file = base_name(name);
    let file = strip_suffix_ignore_ascii_case(file, ".exe").unwrap_or(file);
    // `go test` builds and runs `<package>.test`.
    if file.len() > ".test".len() && file.ends_with(".test") {
        return true;
    }
    // Cargo test binaries are `target/<profile>/deps/<crate>-<16 hex digits>`; nextest runs the
    // same files with harness flags.
    let Some((krate, hash)) = file.rsplit_once('-') else {
        return false;
    };
    let hashed = hash.len() == 16 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let crate_like = !krate.is_empty()
        && krate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !hashed || !crate_like {
        return false;
    }
    let in_deps = argv
        .first()
        .is_some_and(|argv0| argv0.contains("/deps/") || argv0.contains("\\deps\\"));
    in_deps || argv.iter().skip(1).any(|arg| is_harness_flag(arg))
}

/// Flags of the libtest harness.
fn is_harness_flag(arg: &str) -> bool {
    const FLAGS: [&str; 16] = [
        "--nocapture",
        "--no-capture",
        "--test-threads",
        "--exact",
        "--ignored",
        "--include-ignored",
        "--list",
        "--show-output",
        "--skip",
        "--bench",
        "--test",
        "--format",
        "--logfile",
        "--report-time",
        "--shuffle",
        "-Zunstable-options",
    ];
    FLAGS.iter().any(|flag| {
        arg.strip_prefix(flag)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
    })
}

// ---------------------------------------------------------------------------------------------
// Refinements by arguments

/// The Clang driver runs itself as `clang -cc1as` to assemble.
fn clang(argv: &[String]) -> Role {
    if argv.iter().skip(1).any(|arg| arg == "-cc1as") {
        Role::Assembler
    } else {
        Role::Compiler
    }
}

/// Go's and MSVC's linkers always get options; coreutils' `link A B` never does.
fn link(argv: &[String]) -> Role {
    let go_tool = argv
        .first()
        .is_some_and(|argv0| argv0.contains("/pkg/tool/") || argv0.contains("\\pkg\\tool\\"));
    let options = argv
        .iter()
        .skip(1)
        .any(|arg| arg.starts_with('-') || strip_prefix_ignore_ascii_case(arg, "/out:").is_some());
    if go_tool || options {
        Role::Linker
    } else {
        Role::Other
    }
}

fn strip_prefix_ignore_ascii_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn kaniko(argv: &[String]) -> Role {
    let kaniko = argv.first().is_some_and(|argv0| argv0.contains("kaniko"))
        || argv.iter().skip(1).any(|arg| {
            ["--dockerfile", "--destination", "--context"]
                .iter()
                .any(|flag| arg.starts_with(flag))
        });
    if kaniko {
        Role::ContainerClient
    } else {
        Role::Other
    }
}

/// `mvn dependency:go-offline` only resolves dependencies; anything with a build phase builds.
fn maven(args: &[String]) -> Role {
    const BUILD_PHASES: [&str; 10] = [
        "compile",
        "test-compile",
        "test",
        "package",
        "integration-test",
        "verify",
        "install",
        "deploy",
        "site",
        "process-resources",
    ];
    let resolves = args.iter().any(|arg| arg.starts_with("dependency:"));
    let builds = args.iter().any(|arg| BUILD_PHASES.contains(&arg.as_str()));
    if resolves && !builds {
        Role::PackageManager
    } else {
        Role::BuildTool
    }
}

fn cargo(argv: &[String]) -> Role {
    match first_operand(argv, &["-C", "-Z", "--config", "--color", "--explain"]) {
        Some((
            _,
            "fetch" | "vendor" | "update" | "generate-lockfile" | "add" | "remove" | "rm"
            | "install" | "uninstall" | "search" | "publish" | "login" | "owner" | "yank",
        )) => Role::PackageManager,
        _ => Role::BuildTool,
    }
}

fn go(argv: &[String]) -> Role {
    match first_operand(argv, &["-C"]) {
        Some((_, "test")) => Role::TestRunner,
        Some((_, "get" | "mod")) => Role::PackageManager,
        _ => Role::BuildTool,
    }
}

/// `dotnet build|test|restore`, or `dotnet [exec] some.dll` running an app or an SDK part.
fn dotnet(argv: &[String]) -> Role {
    let Some((at, operand)) = first_operand(argv, &[]) else {
        return Role::BuildTool;
    };
    match operand {
        "test" | "vstest" => Role::TestRunner,
        "restore" | "add" | "remove" | "nuget" | "tool" | "workload" => Role::PackageManager,
        "exec" => argv[at..]
            .iter()
            .find_map(|arg| dotnet_dll(arg))
            .unwrap_or(Role::Interpreter),
        dll => dotnet_dll(dll).unwrap_or(Role::BuildTool),
    }
}

/// The role of a `.dll` the .NET host runs: an SDK part, or an app (`interpreter`).
fn dotnet_dll(path: &str) -> Option<Role> {
    let stem = strip_suffix_ignore_ascii_case(base_name(path), ".dll")?;
    let role = match stem {
        "MSBuild" => Role::BuildTool,
        "VBCSCompiler" | "csc" | "vbc" => Role::Compiler,
        "vstest.console" => Role::TestRunner,
        s if s == "testhost" || s.starts_with("testhost.") => Role::TestRunner,
        s if s.starts_with("NuGet.") => Role::PackageManager,
        _ => Role::Interpreter,
    };
    Some(role)
}

fn swift(argv: &[String]) -> Role {
    match first_operand(argv, &[]) {
        Some((_, "build" | "run")) => Role::BuildTool,
        Some((_, "test")) => Role::TestRunner,
        Some((_, "package")) => Role::PackageManager,
        _ => Role::Compiler,
    }
}

/// `busybox APPLET …`: the applet decides. An applet that is an interpreter or shell gets its
/// fallback role without looking further, which bounds the recursion.
fn busybox(argv: &[String]) -> Role {
    let Some(applet) = argv.get(1) else {
        return Role::Other;
    };
    let applet_name = normalise(applet);
    if applet_name == "busybox" {
        return Role::Other;
    }
    match lookup(applet_name) {
        Some(Entry::Is(role)) => role,
        Some(Entry::Refine(refine)) => refine(&argv[1..]),
        Some(Entry::Runs(_, fallback)) => fallback,
        None => Role::Other,
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreters and shells

/// `python [options] (-m module | -c code | script) …`. One-letter options cluster (`-Bm pytest`)
/// and `-m`/`-c`/`-W`/`-X` take the rest of the cluster or the next argument.
fn python(argv: &[String]) -> Option<Role> {
    let mut i = 1;
    while let Some(arg) = argv.get(i) {
        let Some(flags) = arg.strip_prefix('-') else {
            break;
        };
        if flags.is_empty() {
            return None; // `-`: the program comes from stdin.
        }
        if let Some(long) = flags.strip_prefix('-') {
            i += if long == "check-hash-based-pycs" {
                2
            } else {
                1
            };
            continue;
        }
        let Some(at) = flags.find(['m', 'c', 'W', 'X']) else {
            i += 1;
            continue;
        };
        let attached = &flags[at + 1..];
        let value = if attached.is_empty() {
            argv.get(i + 1).map(String::as_str)
        } else {
            Some(attached)
        };
        match flags.as_bytes()[at] {
            b'm' => return python_module(value?),
            b'c' => return python_inline(value?),
            _ => i += if attached.is_empty() { 2 } else { 1 },
        }
    }
    let script = argv.get(i..)?;
    if script
        .first()
        .is_some_and(|path| base_name(path) == "setup.py")
    {
        return Some(Role::BuildTool);
    }
    script_role(script)
}

/// `python -m module`.
fn python_module(module: &str) -> Option<Role> {
    if module == "py.test" {
        return Some(Role::TestRunner);
    }
    if module == "grpc_tools.protoc" {
        return Some(Role::Compiler);
    }
    let top = module.split('.').next().unwrap_or(module);
    let role = match top {
        "pytest" | "unittest" | "nose" | "nose2" | "tox" | "nox" => Role::TestRunner,
        "pip" | "ensurepip" | "venv" | "virtualenv" | "pipx" | "poetry" | "pdm" | "uv"
        | "conda" => Role::PackageManager,
        "build" | "PyInstaller" | "mesonbuild" | "SCons" => Role::BuildTool,
        "compileall" | "py_compile" | "nuitka" | "Cython" | "cython" => Role::Compiler,
        "twine" | "awscli" => Role::Network,
        _ => return None,
    };
    Some(role)
}

/// `python -c code`: execnet's bootstrap line is how pytest-xdist starts its workers.
fn python_inline(code: &str) -> Option<Role> {
    (code.contains("exec(eval(") && code.contains("sys.stdin.readline")).then_some(Role::TestRunner)
}

/// `node [options] script …`, `node --test`. A package under `node_modules/` names the tool
/// better than the script's file name (`typescript/bin/tsc`, `npm/bin/npm-cli.js`).
fn node(argv: &[String]) -> Option<Role> {
    let mut i = 1;
    while let Some(arg) = argv.get(i) {
        match arg.as_str() {
            "--test" => return Some(Role::TestRunner),
            "-e" | "--eval" | "-p" | "--print" | "-" => return None,
            a if a.starts_with("--eval=") || a.starts_with("--print=") => return None,
            "--" => {
                i += 1;
                break;
            }
            "-r"
            | "--require"
            | "--import"
            | "--loader"
            | "--experimental-loader"
            | "-C"
            | "--conditions" => i += 2,
            a if a.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let script = argv.get(i..)?;
    node_package(script.first()?).or_else(|| script_role(script))
}

/// The role of the npm package a script belongs to, from the last `node_modules/` in its path.
fn node_package(path: &str) -> Option<Role> {
    let (_, rest) = path
        .rsplit_once("node_modules/")
        .or_else(|| path.rsplit_once("node_modules\\"))?;
    let mut parts = rest.split(['/', '\\']);
    let first = parts.next()?;
    let package = if first.starts_with('@') {
        let second = parts.next()?;
        &rest[..first.len() + 1 + second.len()]
    } else {
        first
    };
    let role = match package {
        "typescript" | "vue-tsc" | "@babel/cli" | "@swc/cli" => Role::Compiler,
        "jest" | "jest-cli" | "vitest" | "mocha" | "karma" | "ava" | "tap" | "jasmine"
        | "cypress" | "playwright" | "@playwright/test" | "@web/test-runner" => Role::TestRunner,
        "npm" | "yarn" | "pnpm" | "corepack" => Role::PackageManager,
        "webpack" | "webpack-cli" | "vite" | "rollup" | "parcel" | "gulp" | "gulp-cli"
        | "grunt" | "grunt-cli" | "turbo" | "nx" | "lerna" | "@angular/cli" => Role::BuildTool,
        _ => return None,
    };
    Some(role)
}

/// A JVM: its main class, jar or a later argument names what it runs.
fn java(argv: &[String]) -> Option<Role> {
    argv.iter()
        .enumerate()
        .skip(1)
        .find_map(|(at, arg)| jvm_main(arg, &argv[at + 1..]))
}

/// The role of a JVM whose main class or jar is `arg`; `rest` are the arguments after it.
fn jvm_main(arg: &str, rest: &[String]) -> Option<Role> {
    let role = match arg {
        // Surefire and Failsafe fork test JVMs with this booter.
        "org.apache.maven.surefire.booter.ForkedBooter"
        | "org.junit.platform.console.ConsoleLauncher"
        | "org.junit.runner.JUnitCore"
        | "org.testng.TestNG" => Role::TestRunner,
        // Gradle workers run tests ("Gradle Test Executor 3") or other work for the daemon.
        "worker.org.gradle.process.internal.worker.GradleWorkerMain"
        | "org.gradle.process.internal.worker.GradleWorkerMain" => {
            if rest.iter().any(|a| a.starts_with("Gradle Test Executor")) {
                Role::TestRunner
            } else {
                Role::BuildTool
            }
        }
        "org.gradle.launcher.daemon.bootstrap.GradleDaemon"
        | "org.gradle.wrapper.GradleWrapperMain"
        | "org.gradle.launcher.GradleMain"
        | "xsbt.boot.Boot"
        | "org.apache.tools.ant.launch.Launcher" => Role::BuildTool,
        "org.codehaus.plexus.classworlds.launcher.Launcher"
        | "org.apache.maven.wrapper.MavenWrapperMain" => maven(rest),
        "org.jetbrains.kotlin.cli.jvm.K2JVMCompiler"
        | "org.jetbrains.kotlin.daemon.KotlinCompileDaemon"
        | "scala.tools.nsc.Main"
        | "scala.tools.nsc.MainClass"
        | "dotty.tools.dotc.Main"
        | "com.sun.tools.javac.Main"
        | "jdk.compiler/com.sun.tools.javac.Main" => Role::Compiler,
        _ => return jar(arg),
    };
    Some(role)
}

/// The role of a JVM started with `-jar` (or a class path ending in) this jar.
fn jar(arg: &str) -> Option<Role> {
    let stem = base_name(arg).strip_suffix(".jar")?;
    if stem.starts_with("surefirebooter") || stem.starts_with("junit-platform-console-standalone") {
        Some(Role::TestRunner)
    } else if stem.starts_with("sbt-launch") || stem == "A-server" {
        // `A-server.jar` is the Bazel server.
        Some(Role::BuildTool)
    } else {
        None
    }
}

/// The script after the interpreter's options: `takes_value` options skip their value, an
/// `inline` option means the program is on the command line.
fn script_after_options<'a>(
    argv: &'a [String],
    takes_value: &[&str],
    inline: &[&str],
) -> Option<&'a [String]> {
    let mut i = 1;
    while let Some(arg) = argv.get(i) {
        let arg = arg.as_str();
        if arg == "--" {
            i += 1;
            break;
        }
        if arg == "-" || inline.contains(&arg) {
            return None;
        }
        if takes_value.contains(&arg) {
            i += 2;
        } else if arg.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    argv.get(i..).filter(|script| !script.is_empty())
}

fn ruby(argv: &[String]) -> Option<Role> {
    script_role(script_after_options(
        argv,
        &["-I", "-r", "-C", "-E"],
        &["-e"],
    )?)
}

fn perl(argv: &[String]) -> Option<Role> {
    script_role(script_after_options(
        argv,
        &["-I", "-M", "-m"],
        &["-e", "-E"],
    )?)
}

fn php(argv: &[String]) -> Option<Role> {
    script_role(script_after_options(argv, &["-d", "-c", "-z"], &["-r"])?)
}

fn lua(argv: &[String]) -> Option<Role> {
    script_role(script_after_options(argv, &["-l"], &["-e"])?)
}

fn deno_or_bun(argv: &[String]) -> Option<Role> {
    match first_operand(argv, &[])?.1 {
        "test" => Some(Role::TestRunner),
        "install" | "i" | "add" | "remove" | "rm" | "uninstall" | "update" | "outdated" | "pm"
        | "link" | "unlink" | "x" => Some(Role::PackageManager),
        "build" | "bundle" | "compile" => Some(Role::BuildTool),
        "check" => Some(Role::Compiler),
        _ => None,
    }
}

/// `sh [options] script …`: a known tool run as a script (`sh ./gradlew`, `bash configure`)
/// keeps its role. `-c` and `-s` (commands on the command line or stdin) and scripts named
/// `*.sh` are the shell's own work.
fn shell(argv: &[String]) -> Option<Role> {
    let mut i = 1;
    while let Some(arg) = argv.get(i) {
        let arg = arg.as_str();
        match arg {
            "--" => {
                i += 1;
                break;
            }
            "-" => return None,
            "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file" => i += 2,
            _ if arg.starts_with("--") => i += 1,
            _ if arg.starts_with(['-', '+']) => {
                let letters = &arg[1..];
                if letters.contains(['c', 's']) {
                    return None;
                }
                // `-eo pipefail`: `o` takes the next argument.
                i += if letters.contains(['o', 'O']) { 2 } else { 1 };
            }
            _ => break,
        }
    }
    let script = argv.get(i..)?;
    let file = base_name(script.first()?);
    if [".sh", ".bash", ".zsh", ".ksh"]
        .iter()
        .any(|ext| file.ends_with(ext))
    {
        return None;
    }
    script_role(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a command line into words; `'…'` groups words.
    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = line.trim();
        while !rest.is_empty() {
            if let Some(quoted) = rest.strip_prefix('\'') {
                let end = quoted.find('\'').expect("closing quote");
                out.push(quoted[..end].to_owned());
                rest = quoted[end + 1..].trim_start();
            } else {
                let end = rest.find(' ').unwrap_or(rest.len());
                out.push(rest[..end].to_owned());
                rest = rest[end..].trim_start();
            }
        }
        out
    }

    /// `(name, command line, role)`: the name is what the wrapper passes (comm, or argv[0]'s base
    /// name when comm was truncated).
    #[rustfmt::skip]
    const CASES: &[(&str, &str, Role)] = {
        use Role::*;
        &[
            // C and C++
            ("gcc", "gcc -O2 -pipe -c -o foo.o foo.c", Compiler),
            ("cc1", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet -imultiarch x86_64-linux-gnu foo.c -quiet -dumpbase foo.c -O2 -o /tmp/ccA1b2.s", Compiler),
            ("cc1plus", "/usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus -quiet -D_GNU_SOURCE main.cpp -o /tmp/cc.s", Compiler),
            ("cc1obj", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1obj -quiet x.m", Compiler),
            ("lto1", "/usr/lib/gcc/x86_64-linux-gnu/12/lto1 -quiet -dumpdir a- -fltrans", Compiler),
            ("g++", "g++ -std=c++17 -c src/a.cpp", Compiler),
            ("c++", "c++ -c a.cc", Compiler),
            ("cc", "cc -o hello hello.c", Compiler),
            ("x86_64-linux-gnu-gcc-12", "/usr/bin/x86_64-linux-gnu-gcc-12 -c x.c", Compiler),
            ("aarch64-linux-gnu-g++", "aarch64-linux-gnu-g++ -c x.cc", Compiler),
            ("arm-none-eabi-gcc", "arm-none-eabi-gcc -mcpu=cortex-m4 -c main.c", Compiler),
            ("x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-gcc -c win.c", Compiler),
            ("x86_64-conda-linux-gnu-cc", "x86_64-conda-linux-gnu-cc -c x.c", Compiler),
            ("clang", "clang -c -O2 foo.c", Compiler),
            ("clang-15", "/usr/bin/clang-15 -cc1 -triple x86_64-pc-linux-gnu -emit-obj foo.c", Compiler),
            ("clang++-15", "clang++-15 -std=c++20 -c x.cpp", Compiler),
            ("clang", "/usr/lib/llvm-15/bin/clang -cc1as -triple x86_64-pc-linux-gnu -filetype obj -o x.o x.s", Assembler),
            ("gcc.exe", "C:\\mingw\\bin\\gcc.exe -c x.c", Compiler),
            ("cl.exe", "cl.exe /nologo /c x.cpp", Compiler),
            ("ccache", "ccache gcc -c x.c", Compiler),
            ("sccache", "sccache rustc --crate-name foo", Compiler),
            // Rust
            ("rustc", "/home/u/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc --crate-name serde --edition=2018 src/lib.rs --crate-type lib -C opt-level=3", Compiler),
            ("clippy-driver", "/home/u/.rustup/toolchains/stable/bin/clippy-driver rustc --crate-name x", Compiler),
            ("rustdoc", "rustdoc --edition=2021 --crate-type lib src/lib.rs", Compiler),
            ("cargo", "/home/u/.cargo/bin/cargo build --release --locked", BuildTool),
            ("cargo", "cargo +nightly build", BuildTool),
            ("cargo", "cargo test --workspace", BuildTool),
            ("cargo", "cargo fetch --locked", PackageManager),
            ("cargo", "cargo --color always fetch", PackageManager),
            ("cargo", "cargo install cargo-nextest --locked", PackageManager),
            ("cargo-clippy", "cargo-clippy clippy --all-targets", BuildTool),
            ("cargo-nextest", "/home/u/.cargo/bin/cargo-nextest nextest run --profile ci", TestRunner),
            ("build-script-build", "/work/target/debug/build/libc-5d2c1e3f4a5b6c7d/build-script-build", BuildTool),
            ("serde_json-1a2b3c4d5e6f7a8b", "/work/target/debug/deps/serde_json-1a2b3c4d5e6f7a8b", TestRunner),
            ("my_crate-0123456789abcdef", "/work/target/x86_64-unknown-linux-gnu/release/deps/my_crate-0123456789abcdef --exact tests::it_works --nocapture", TestRunner),
            ("integration-0123456789abcdef", "./integration-0123456789abcdef --test-threads=1", TestRunner),
            ("tool-0123456789abcdef", "./tool-0123456789abcdef --serve", Other),
            ("rust_out", "/tmp/rustdoctestXyZ/rust_out", TestRunner),
            ("ld.lld-17", "/usr/bin/ld.lld-17 -o app a.o", Linker),
            ("rust-lld", "rust-lld -flavor wasm", Linker),
            // JVM languages and tools
            ("javac", "/usr/lib/jvm/java-17-openjdk-amd64/bin/javac -d target/classes -sourcepath src Foo.java", Compiler),
            ("kotlinc", "/bin/sh /usr/local/bin/kotlinc src/main.kt -d out", Compiler),
            ("java", "/usr/lib/jvm/java-17/bin/java -Xmx256M -Xss2m -cp /opt/kotlinc/lib/kotlin-preloader.jar org.jetbrains.kotlin.preloading.Preloader -cp /opt/kotlinc/lib/kotlin-compiler.jar org.jetbrains.kotlin.cli.jvm.K2JVMCompiler main.kt", Compiler),
            ("java", "java -cp kotlin-compiler-embeddable.jar -Xmx3g org.jetbrains.kotlin.daemon.KotlinCompileDaemon --daemon-runFilesPath /tmp/kotlin-daemon", Compiler),
            ("scalac", "scalac Main.scala", Compiler),
            ("java", "java -Xss4m -cp scala-compiler.jar:scala-library.jar scala.tools.nsc.MainClass Main.scala", Compiler),
            ("java", "/usr/lib/jvm/java-17/bin/java -jar /work/target/surefire/surefirebooter-20240101120000_3.jar /work/target/surefire 2024-01-01T12-00-00_123-jvmRun1 surefire-20240101_1tmp surefire_0-20240101_2tmp", TestRunner),
            ("java", "/usr/lib/jvm/java-11/bin/java -javaagent:/root/.m2/jacoco.jar -jar /tmp/surefire8123/surefirebooter4567.jar /tmp/surefire8123 2024-jvmRun1", TestRunner),
            ("java", "java -cp target/test-classes:target/classes org.apache.maven.surefire.booter.ForkedBooter /tmp/s 2024-jvmRun1", TestRunner),
            ("java", "/usr/lib/jvm/java-17/bin/java -Dorg.gradle.native=false -Xmx512m -Dfile.encoding=UTF-8 -cp /root/.gradle/caches/8.5/workerMain/gradle-worker.jar worker.org.gradle.process.internal.worker.GradleWorkerMain 'Gradle Test Executor 1'", TestRunner),
            ("java", "/usr/lib/jvm/java-17/bin/java -cp /root/.gradle/caches/8.5/workerMain/gradle-worker.jar worker.org.gradle.process.internal.worker.GradleWorkerMain 'Gradle Worker Daemon 2'", BuildTool),
            ("java", "/usr/lib/jvm/java-17/bin/java --add-opens=java.base/java.util=ALL-UNNAMED -Xmx2g -Dfile.encoding=UTF-8 -cp /root/.gradle/wrapper/dists/gradle-8.5-bin/lib/gradle-launcher-8.5.jar org.gradle.launcher.daemon.bootstrap.GradleDaemon 8.5", BuildTool),
            ("java", "/usr/lib/jvm/java-17/bin/java -Xmx64m -Dorg.gradle.appname=gradlew -classpath /w/gradle/wrapper/gradle-wrapper.jar org.gradle.wrapper.GradleWrapperMain build", BuildTool),
            ("gradlew", "/bin/sh ./gradlew build --no-daemon", BuildTool),
            ("gradle", "/opt/gradle/bin/gradle test", BuildTool),
            ("mvn", "/bin/sh /usr/share/maven/bin/mvn -B verify", BuildTool),
            ("mvn", "/bin/sh /usr/share/maven/bin/mvn -B dependency:go-offline", PackageManager),
            ("java", "/usr/lib/jvm/java-17/bin/java -classpath /usr/share/maven/boot/plexus-classworlds-2.7.0.jar -Dclassworlds.conf=/usr/share/maven/bin/m2.conf -Dmaven.home=/usr/share/maven org.codehaus.plexus.classworlds.launcher.Launcher -B -DskipTests package", BuildTool),
            ("java", "java -classpath plexus-classworlds.jar org.codehaus.plexus.classworlds.launcher.Launcher -B dependency:resolve dependency:resolve-plugins", PackageManager),
            ("java", "java -Dmaven.multiModuleProjectDirectory=/w -classpath /w/.mvn/wrapper/maven-wrapper.jar org.apache.maven.wrapper.MavenWrapperMain clean install", BuildTool),
            ("java", "java -Xms1024m -Xss4M -jar /root/.sbt/launchers/1.9.7/sbt-launch.jar compile", BuildTool),
            ("java", "java -cp ant-launcher.jar org.apache.tools.ant.launch.Launcher -f build.xml", BuildTool),
            ("java", "bazel(work) -XX:+HeapDumpOnOutOfMemoryError -jar /root/.cache/bazel/_bazel_root/install/abc/A-server.jar --max_idle_secs=10800", BuildTool),
            ("java", "java -jar junit-platform-console-standalone-1.10.1.jar --scan-classpath", TestRunner),
            ("java", "java -jar app.jar --server.port=8080", Interpreter),
            ("java", "java -version", Interpreter),
            ("java", "java -Dtest=org.testng.TestNG -jar app.jar", Interpreter),
            // Go
            ("go", "/usr/local/go/bin/go build -o bin/app ./cmd/app", BuildTool),
            ("go", "go test -race ./...", TestRunner),
            ("go", "go -C sub test ./...", TestRunner),
            ("go", "go mod download", PackageManager),
            ("go", "go get golang.org/x/tools@latest", PackageManager),
            ("compile", "/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -trimpath $WORK/b002=> -p main -lang=go1.21 -complete -buildid abc -goversion go1.21.0 -c=4 -nolocalimports -importcfg $WORK/b002/importcfg -pack ./main.go", Compiler),
            ("link", "/usr/local/go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe -buildid=abc -extld=gcc $WORK/b001/_pkg_.a", Linker),
            ("link.exe", "link.exe /OUT:app.exe main.obj", Linker),
            ("link", "link a b", Other),
            ("asm", "/usr/local/go/pkg/tool/linux_amd64/asm -p runtime -trimpath $WORK -o $WORK/b0/asm.o asm_amd64.s", Assembler),
            ("mypkg.test", "/tmp/go-build123/b001/mypkg.test -test.paniconexit0 -test.timeout=10m0s -test.v=true", TestRunner),
            ("app-server", "./app-server -test.run TestX", TestRunner),
            ("gotestsum", "gotestsum --format testname -- ./...", TestRunner),
            // TypeScript and JavaScript
            ("node", "node /app/node_modules/typescript/bin/tsc -p tsconfig.json", Compiler),
            ("node", "/usr/bin/node node_modules/.bin/tsc --noEmit", Compiler),
            ("tsc", "node /app/node_modules/.bin/tsc -b", Compiler),
            ("node", "node /app/node_modules/jest/bin/jest.js --ci", TestRunner),
            ("node", "node --max-old-space-size=4096 /app/node_modules/.bin/jest --ci --runInBand", TestRunner),
            ("node", "node /app/node_modules/vitest/vitest.mjs run", TestRunner),
            ("node", "node /app/node_modules/mocha/bin/_mocha --reporter dot", TestRunner),
            ("node", "node /app/node_modules/karma/bin/karma start --single-run", TestRunner),
            ("node", "node /app/node_modules/@playwright/test/cli.js test", TestRunner),
            ("node", "node --test test/", TestRunner),
            ("node", "node -r ts-node/register /app/node_modules/mocha/bin/mocha", TestRunner),
            ("node", "/usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js ci", PackageManager),
            ("node", "node /usr/local/lib/node_modules/npm/bin/npx-cli.js jest", PackageManager),
            ("node", "node /app/.yarn/releases/yarn-3.6.1.cjs install --immutable", PackageManager),
            ("node", "node /root/.cache/node/corepack/pnpm/8.6.0/bin/pnpm.cjs install --frozen-lockfile", PackageManager),
            ("node", "node /app/node_modules/webpack/bin/webpack.js --mode production", BuildTool),
            ("node", "node /app/node_modules/vite/bin/vite.js build", BuildTool),
            ("node", "node server.js", Interpreter),
            ("node", "node -e console.log(1)", Interpreter),
            ("node", "node /app/node_modules/jest-worker/build/workers/processChild.js", Interpreter),
            ("npm", "npm ci --no-audit", PackageManager),
            ("npm", "npm run test", PackageManager),
            ("npx", "npx jest", PackageManager),
            ("yarn", "yarn install --frozen-lockfile", PackageManager),
            ("pnpm", "pnpm -r build", PackageManager),
            ("deno", "deno test --allow-read", TestRunner),
            ("deno", "deno run main.ts", Interpreter),
            ("bun", "bun install", PackageManager),
            ("bun", "bun test", TestRunner),
            ("bun", "bun index.ts", Interpreter),
            // Python
            ("python3", "/usr/bin/python3 -m pytest -x tests/", TestRunner),
            ("python3.11", "/opt/venv/bin/python3.11 -m pytest", TestRunner),
            ("python", "python -Bm pytest", TestRunner),
            ("python", "python -mpytest", TestRunner),
            ("python", "python -W ignore -m unittest discover", TestRunner),
            ("python", "python -m py.test", TestRunner),
            ("pytest", "/opt/venv/bin/python /opt/venv/bin/pytest -n 4", TestRunner),
            ("python3", "/opt/venv/bin/python3 /opt/venv/bin/pytest", TestRunner),
            ("py.test", "py.test tests", TestRunner),
            ("python3", "/usr/bin/python3 -u -c 'import sys;exec(eval(sys.stdin.readline()))'", TestRunner),
            ("python3", "python3 -m pip install -r requirements.txt", PackageManager),
            ("python", "python -m pip._internal install x", PackageManager),
            ("pip3", "/usr/bin/python3 /usr/bin/pip3 install .", PackageManager),
            ("pip3.11", "pip3.11 install .", PackageManager),
            ("uv", "uv pip sync requirements.txt", PackageManager),
            ("poetry", "/root/.local/bin/poetry install --no-root", PackageManager),
            ("python3", "python3 /root/.local/bin/poetry install", PackageManager),
            ("conda", "/opt/conda/bin/python /opt/conda/bin/conda install -y numpy", PackageManager),
            ("python3", "python3 -m build --wheel", BuildTool),
            ("python3", "python3 setup.py bdist_wheel", BuildTool),
            ("python3", "python3 -m venv .venv", PackageManager),
            ("python3", "python3 scripts/gen.py", Interpreter),
            ("python3", "python3 -c print(1)", Interpreter),
            ("python3", "python3", Interpreter),
            ("python3", "python3 -", Interpreter),
            ("python3", "python3 /usr/lib/google-cloud-sdk/lib/gcloud.py storage cp a gs://b", Network),
            ("x86_64-linux-gnu-python3.11", "x86_64-linux-gnu-python3.11 x.py", Interpreter),
            ("python.exe", "C:\\Python311\\python.exe -m pytest", TestRunner),
            // Ruby, PHP, Perl, Lua
            ("ruby", "ruby /usr/local/bundle/bin/rspec spec/", TestRunner),
            ("ruby3.2", "ruby3.2 -S rspec", TestRunner),
            ("ruby", "ruby -Ilib -Itest test/foo_test.rb", Interpreter),
            ("ruby", "ruby /usr/local/bin/bundle install --jobs 4", PackageManager),
            ("rspec", "/usr/local/bin/ruby /usr/local/bundle/bin/rspec", TestRunner),
            ("rake", "rake test", BuildTool),
            ("bundle", "bundle exec rake", PackageManager),
            ("gem", "gem install bundler", PackageManager),
            ("php", "php vendor/bin/phpunit --testdox", TestRunner),
            ("php8.2", "php8.2 -d memory_limit=-1 /usr/local/bin/composer.phar install", PackageManager),
            ("php", "php artisan migrate", Interpreter),
            ("phpunit", "phpunit", TestRunner),
            ("composer", "composer install --no-dev", PackageManager),
            ("perl", "/usr/bin/perl /usr/bin/prove -lr t/", TestRunner),
            ("perl", "perl -e print", Interpreter),
            ("perl5.36.0", "perl5.36.0 Makefile.PL", Interpreter),
            ("lua5.4", "lua5.4 script.lua", Interpreter),
            // .NET and Swift
            ("dotnet", "dotnet build -c Release", BuildTool),
            ("dotnet", "dotnet test --no-build", TestRunner),
            ("dotnet", "dotnet restore", PackageManager),
            ("dotnet", "/usr/share/dotnet/dotnet /usr/share/dotnet/sdk/8.0.100/MSBuild.dll -nologo -nodemode:1 -nodeReuse:false", BuildTool),
            ("dotnet", "dotnet exec --runtimeconfig x.runtimeconfig.json --depsfile x.deps.json /root/.nuget/packages/microsoft.testplatform.testhost/17.8.0/lib/netcoreapp3.1/testhost.dll --port 45678", TestRunner),
            ("dotnet", "/usr/share/dotnet/dotnet /usr/share/dotnet/sdk/8.0.100/Roslyn/bincore/VBCSCompiler.dll -pipename:abc", Compiler),
            ("dotnet", "dotnet MyApp.dll", Interpreter),
            ("msbuild", "msbuild /m /p:Configuration=Release", BuildTool),
            ("MSBuild.exe", "MSBuild.exe /m", BuildTool),
            ("testhost", "/w/bin/Debug/net8.0/testhost --port 1234", TestRunner),
            ("swiftc", "swiftc -O main.swift", Compiler),
            ("swift-frontend", "/usr/bin/swift-frontend -frontend -c main.swift", Compiler),
            ("swift", "swift build -c release", BuildTool),
            ("swift", "swift test --parallel", TestRunner),
            ("nvcc", "nvcc -arch=sm_80 -c kernel.cu", Compiler),
            ("ptxas", "ptxas -arch=sm_80 -m64 kernel.ptx", Assembler),
            // Linkers and assemblers
            ("ld", "/usr/bin/ld -plugin /usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so -o app", Linker),
            ("collect2", "/usr/lib/gcc/x86_64-linux-gnu/12/collect2 -plugin x -o app crt1.o a.o", Linker),
            ("ld.gold", "ld.gold -o x", Linker),
            ("ld.bfd", "ld.bfd -o x", Linker),
            ("mold", "mold -run make", Linker),
            ("ld.mold", "ld.mold -o x", Linker),
            ("lld", "lld -flavor gnu", Linker),
            ("x86_64-linux-gnu-ld.bfd", "x86_64-linux-gnu-ld.bfd -o x", Linker),
            ("ar", "/usr/bin/ar qc libfoo.a a.o b.o", Linker),
            ("ranlib", "ranlib libfoo.a", Linker),
            ("x86_64-linux-gnu-gcc-ar-12", "x86_64-linux-gnu-gcc-ar-12 cr libx.a a.o", Linker),
            ("llvm-ar-15", "llvm-ar-15 rcs libx.a a.o", Linker),
            ("strip", "strip --strip-debug app", Linker),
            ("as", "as --64 -o /tmp/cc.o /tmp/cc.s", Assembler),
            ("x86_64-linux-gnu-as", "x86_64-linux-gnu-as --64 -o x.o x.s", Assembler),
            ("nasm", "nasm -f elf64 -o x.o x.asm", Assembler),
            ("yasm", "yasm -f elf64 x.asm", Assembler),
            // Build tools
            ("make", "make -j8 all", BuildTool),
            ("gmake", "gmake -C sub", BuildTool),
            ("ninja", "ninja -C build", BuildTool),
            ("cmake", "cmake --build build --parallel", BuildTool),
            ("ctest", "ctest --output-on-failure -j4", TestRunner),
            ("bazel", "bazel test //...", BuildTool),
            ("bazelisk", "bazelisk build //:app", BuildTool),
            ("buck2", "buck2 build //app:app", BuildTool),
            ("scons", "/usr/bin/python3 /usr/bin/scons -j4", BuildTool),
            ("python3", "/usr/bin/python3 /usr/bin/scons -j4", BuildTool),
            ("meson", "meson compile -C build", BuildTool),
            ("sbt", "sbt test", BuildTool),
            ("ant", "ant jar", BuildTool),
            ("configure", "/bin/bash ./configure --prefix=/usr", BuildTool),
            ("bash", "/bin/bash ./configure --prefix=/usr", BuildTool),
            ("sh", "sh ./gradlew assemble", BuildTool),
            ("sh", "sh ./mvnw dependency:go-offline", PackageManager),
            ("sh", "sh -c make -j4", Shell),
            ("bash", "bash -eo pipefail ci/build.sh", Shell),
            ("bash", "/bin/bash --noprofile --norc -e -o pipefail /home/runner/work/_temp/abc.sh", Shell),
            ("bash", "bash -ec echo hi", Shell),
            ("bash", "bash", Shell),
            ("dash", "dash", Shell),
            ("zsh", "zsh -l", Shell),
            ("ksh", "ksh x", Shell),
            ("fish", "fish -c ls", Shell),
            ("pwsh", "pwsh -NoProfile -Command Invoke-Build", Shell),
            ("busybox", "busybox sh -c true", Shell),
            ("busybox", "busybox tar xzf a.tgz", Archiver),
            ("busybox", "busybox wget http://x", Network),
            ("busybox", "busybox busybox sh", Other),
            ("busybox", "busybox", Other),
            // Containers
            ("docker", "docker build -t app .", ContainerClient),
            ("docker-buildx", "/usr/libexec/docker/cli-plugins/docker-buildx buildx build --push .", ContainerClient),
            ("docker-credential-ecr-login", "docker-credential-ecr-login get", ContainerClient),
            ("podman", "podman build .", ContainerClient),
            ("buildah", "buildah bud -t x .", ContainerClient),
            ("executor", "/kaniko/executor --context dir:///workspace --dockerfile Dockerfile --destination reg/app:1", ContainerClient),
            ("executor", "./executor run", Other),
            ("nerdctl", "nerdctl build .", ContainerClient),
            ("skopeo", "skopeo copy docker://a docker://b", ContainerClient),
            // Archivers
            ("tar", "tar -czf dist.tgz dist", Archiver),
            ("gzip", "gzip -9", Archiver),
            ("pigz", "pigz -p 8", Archiver),
            ("bzip2", "bzip2 -d x.bz2", Archiver),
            ("xz", "xz -T0 x", Archiver),
            ("zstd", "zstd -19 x", Archiver),
            ("lz4", "lz4 x", Archiver),
            ("zip", "zip -r x.zip dir", Archiver),
            ("unzip", "unzip -q x.zip", Archiver),
            ("7z", "7z x a.7z", Archiver),
            // Version control
            ("git", "git clone --depth 1 https://github.com/o/r.git", Vcs),
            ("git-remote-http", "/usr/lib/git-core/git-remote-https origin https://github.com/o/r.git", Vcs),
            ("git-remote-https", "/usr/lib/git-core/git-remote-https origin https://github.com/o/r.git", Vcs),
            ("git-lfs", "git-lfs filter-process", Vcs),
            ("hg", "hg pull", Vcs),
            ("svn", "svn checkout x", Vcs),
            // Network
            ("curl", "curl -fsSL https://x/install.sh", Network),
            ("wget", "wget -q https://x/a.tgz", Network),
            ("aws", "/usr/local/bin/aws s3 cp dist s3://bucket --recursive", Network),
            ("python3", "/usr/local/aws-cli/v2/current/dist/python3 /usr/local/bin/aws s3 ls", Network),
            ("gsutil", "gsutil -m cp -r a gs://b", Network),
            ("gcloud", "gcloud auth list", Network),
            ("az", "az storage blob upload", Network),
            ("scp", "scp a host:b", Network),
            ("sftp", "sftp host", Network),
            ("ssh", "ssh -p 22 git@github.com git-upload-pack 'o/r.git'", Network),
            ("rsync", "rsync -az a/ host:b/", Network),
            ("rclone", "rclone copy a remote:b", Network),
            ("azcopy", "azcopy copy a https://x", Network),
            // Other interpreters and package managers
            ("apt-get", "apt-get install -y build-essential", PackageManager),
            ("apt", "apt update", PackageManager),
            ("dpkg", "/usr/bin/dpkg --status-fd 27 --configure --pending", PackageManager),
            ("yum", "yum install -y gcc", PackageManager),
            ("dnf", "dnf -y install gcc", PackageManager),
            ("apk", "apk add --no-cache git", PackageManager),
            ("brew", "/opt/homebrew/bin/brew install jq", PackageManager),
            ("nuget", "nuget restore x.sln", PackageManager),
            ("Rscript", "Rscript -e 1", Interpreter),
            // Unknown
            ("sleep", "sleep 1", Other),
            ("jq", "jq .", Other),
            ("", "", Other),
            ("ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2 /bin/true", Other),
            ("env", "env FOO=1 make", Other),
        ]
    };

    #[test]
    fn builtin_roles() {
        let rules = RoleRules::builtin();
        let mut failures = Vec::new();
        for &(name, line, expected) in CASES {
            let argv = words(line);
            let got = rules.classify(name, &argv);
            if got != expected {
                failures.push(format!("{name:?} {line:?}: got {got}, expected {expected}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn normalised_names() {
        for (name, expected) in [
            ("gcc", "gcc"),
            ("/usr/bin/gcc", "gcc"),
            ("x86_64-linux-gnu-gcc-12", "gcc"),
            ("x86_64-pc-linux-gnu-g++", "g++"),
            ("clang++-15", "clang++"),
            ("clang-15.0.7", "clang"),
            ("python3.11", "python"),
            ("python3", "python"),
            ("pip3", "pip"),
            ("ld.lld-17", "ld.lld"),
            ("cc1", "cc1"),
            ("cc1plus", "cc1plus"),
            ("lz4", "lz4"),
            ("7z", "7z"),
            ("bzip2", "bzip2"),
            ("GCC.EXE", "GCC"),
            ("C:\\tools\\python3.11.exe", "python"),
            (
                "x86_64-linux-gnu-unknowntool",
                "x86_64-linux-gnu-unknowntool",
            ),
            ("armv7a-linux-androideabi21-clang", "clang"),
            ("riscv64-unknown-elf-as", "as"),
            ("llvm-ar-15", "llvm-ar"),
            ("cargo-nextest", "cargo-nextest"),
            ("apt-get", "apt-get"),
            ("-12", "-12"),
            ("", ""),
        ] {
            assert_eq!(normalise(name), expected, "{name:?}");
        }
    }

    #[test]
    fn user_rules_come_first() {
        let rules = RoleRules::with_user_rules(&[
            RoleRule {
                role: Role::Compiler,
                name: Some("my-cc*".into()),
                argv: None,
            },
            RoleRule {
                role: Role::TestRunner,
                name: None,
                argv: Some("*integration-tests*".into()),
            },
            RoleRule {
                role: Role::Network,
                name: Some("python".into()),
                argv: Some("*upload.py".into()),
            },
            RoleRule {
                role: Role::Archiver,
                name: None,
                argv: None,
            },
        ]);
        let classify = |name: &str, line: &str| rules.classify(name, &words(line));
        assert_eq!(
            classify("my-cc-wrapper", "my-cc-wrapper -c x.c"),
            Role::Compiler
        );
        assert_eq!(classify("make", "make integration-tests"), Role::TestRunner);
        // The normalised name matches too: `python3.11` is `python`.
        assert_eq!(
            classify("python3.11", "python3.11 ci/upload.py"),
            Role::Network
        );
        assert_eq!(
            classify("python3.11", "python3.11 ci/other.py"),
            Role::Interpreter
        );
        // Both patterns must match.
        assert_eq!(classify("node", "node ci/upload.py"), Role::Interpreter);
        // A rule without patterns matches nothing.
        assert_eq!(classify("sleep", "sleep 1"), Role::Other);
        assert_eq!(classify("make", "make all"), Role::BuildTool);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let rules = RoleRules::builtin();
        let odd = [
            "",
            "-",
            "--",
            "-m",
            "-c",
            "-W",
            "-X",
            "-e",
            "-r",
            "--test",
            "-cc1as",
            "exec",
            "x.dll",
            "é",
            "node_modules/",
            "node_modules/@scope",
            ".jar",
            "-test.",
            "\u{0}",
            "/",
            "\\",
            "+",
            "-o",
            "'",
            "dependency:",
        ];
        let names = [
            "python",
            "node",
            "java",
            "ruby",
            "perl",
            "php",
            "lua",
            "deno",
            "sh",
            "busybox",
            "cargo",
            "go",
            "dotnet",
            "swift",
            "link",
            "executor",
            "clang",
            "mvn",
            "",
            "é-é",
            "x86_64-",
            "-",
            "x-0123456789abcdef",
            ".test",
        ];
        for name in names {
            for a in odd {
                for b in odd {
                    let argv = vec![name.to_owned(), a.to_owned(), b.to_owned()];
                    let _ = rules.classify(name, &argv);
                    let _ = rules.classify(name, &argv[..1]);
                    let _ = rules.classify(name, &[]);
                }
            }
        }
    }
}
