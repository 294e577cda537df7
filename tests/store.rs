//! The history store on real databases: SQLite files in temporary directories, and the same
//! suite against PostgreSQL when `CICD_MONITOR_TEST_POSTGRES` holds a URL of a user that may
//! create databases (each test gets a fresh database, dropped at the end). `.ci/run` starts a
//! PostgreSQL server and sets it.
//!
//! Profiles are a recorded one (`profile --from-samples` on `fixtures/samples/`) with its
//! numbers and CI context changed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use cicd_monitor::profile::{Role, RoleTotals, StageProfile, read_profile, write_profile_atomic};
use cicd_monitor::store::{
    BaselineQuery, Comparison, Metric, RunFilter, Store, StoreError, Verdict, compare,
};
use common::{bin, stderr, stdout};
use sqlx::Connection;

const POSTGRES_VAR: &str = "CICD_MONITOR_TEST_POSTGRES";

// ---------------------------------------------------------------------------------------------
// Databases

/// A fresh, empty store for one test.
enum Db {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl Db {
    fn spec(&self) -> String {
        match self {
            Db::Sqlite { path, .. } => path.to_str().unwrap().to_owned(),
            Db::Postgres { url, .. } => url.clone(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres {
            admin_url, name, ..
        } = self
        {
            let _ = pg_execute(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn pg_execute(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await?;
        conn.close().await
    })
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = before_query.find("://").map_or(0, |i| i + 3);
    let base = match before_query[authority_start..].find('/') {
        Some(slash) => &before_query[..authority_start + slash],
        None => before_query,
    };
    format!("{base}/{name}{query}")
}

/// The password in a `scheme://user:password@host` URL.
fn password_of(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let (userinfo, _) = rest.split_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    Some(password.to_owned())
}

/// The stores every test runs on: a SQLite file, and PostgreSQL when configured.
fn databases(test: &str) -> Vec<Db> {
    let dir = tempfile::tempdir().unwrap();
    // A parent that does not exist yet: `open` creates it.
    let path = dir.path().join("nested").join("history.sqlite");
    let mut dbs = vec![Db::Sqlite { _dir: dir, path }];
    match std::env::var(POSTGRES_VAR) {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("cicd_test_{test}_{}", std::process::id());
            pg_execute(&admin_url, &format!("DROP DATABASE IF EXISTS {name}")).unwrap();
            pg_execute(&admin_url, &format!("CREATE DATABASE {name}"))
                .unwrap_or_else(|e| panic!("{POSTGRES_VAR}: failed to create a database: {e}"));
            let url = with_database(&admin_url, &name);
            dbs.push(Db::Postgres {
                admin_url,
                name,
                url,
            });
        }
        _ => eprintln!(
            "{test}: PostgreSQL skipped: set {POSTGRES_VAR}=postgres://USER:PASSWORD@HOST/DB \
             (a user that may create databases) to run this test against PostgreSQL too"
        ),
    }
    dbs
}

// ---------------------------------------------------------------------------------------------
// Profiles

/// The recorded profile every synthetic one starts from.
fn recorded() -> &'static StageProfile {
    static PROFILE: OnceLock<StageProfile> = OnceLock::new();
    PROFILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("p.json");
        let samples = format!(
            "{}/fixtures/samples/stage-make-build.samples.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let o = Command::new(bin())
            .args(["profile", "--from-samples", &samples, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        read_profile(&out).unwrap()
    })
}

/// What varies between synthetic runs.
#[derive(Clone)]
struct Run {
    pipeline: u32,
    attempt: u32,
    branch: &'static str,
    host: &'static str,
    /// Minutes after a fixed start.
    minute: u32,
}

fn run(pipeline: u32) -> Run {
    Run {
        pipeline,
        attempt: 1,
        branch: "refs/heads/main",
        host: "x86_64/8c/32GiB/Test CPU",
        minute: pipeline,
    }
}

/// One stage of a GitLab job with the given numbers.
fn stage(
    r: &Run,
    name: &str,
    wall: f64,
    cpu: f64,
    rss_mib: u64,
    compiler_cpu: f64,
) -> StageProfile {
    let mut p = recorded().clone();
    p.stage.name = name.into();
    p.stage.command = format!("make {name}");
    p.stage.exit_code = Some(0);
    let minute = r.minute % 60;
    let hour = r.minute / 60;
    p.stage.started_at = format!("2026-03-01T{hour:02}:{minute:02}:00.250Z");
    p.stage.wall_seconds = wall;
    p.totals.cpu_seconds = cpu;
    p.totals.peak_rss_bytes = rss_mib << 20;
    p.roles.clear();
    p.roles.insert(
        Role::Compiler,
        RoleTotals {
            cpu_seconds: compiler_cpu,
            processes: 10,
            ..RoleTotals::default()
        },
    );
    p.ci.provider = "gitlab".into();
    p.ci.repository = Some("group/app".into());
    p.ci.pipeline_name = None;
    p.ci.pipeline_id = Some(r.pipeline.to_string());
    p.ci.job_id = Some(format!("{}00", r.pipeline));
    p.ci.job_name = Some("build-job".into());
    p.ci.attempt = Some(r.attempt);
    p.ci.git_ref = Some(r.branch.into());
    p.ci.commit = Some(format!("{:040x}", r.pipeline));
    p.host.fingerprint = r.host.into();
    p
}

/// A two-stage job (build, test) whose numbers wobble by `jitter` (−1..1) around a mean.
fn job(r: &Run, jitter: f64) -> Vec<StageProfile> {
    vec![
        stage(
            r,
            "build",
            60.0 + jitter,
            110.0 + 2.0 * jitter,
            500,
            90.0 + jitter,
        ),
        stage(r, "test", 30.0 - jitter, 50.0, 800, 0.0),
    ]
}

fn jitter(i: u32) -> f64 {
    // A fixed, uneven spread in −1..1.
    [0.3, -0.8, 0.1, 0.9, -0.2, -0.5, 0.6, 0.0, -0.9, 0.4][i as usize % 10]
}

fn find<'a>(
    comparisons: &'a [Comparison],
    stage: &str,
    role: Option<Role>,
    metric: Metric,
) -> &'a Comparison {
    comparisons
        .iter()
        .find(|c| c.stage == stage && c.role == role && c.metric == metric)
        .unwrap_or_else(|| panic!("no comparison for {stage} {role:?} {metric:?}"))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn ingest_is_idempotent() {
    for db in databases("idempotent") {
        let store = Store::open(&db.spec()).unwrap();
        let mut profiles = job(&run(1), 0.0);
        let first = store.ingest(&profiles).unwrap();
        assert!(first.new, "{}", db.label());
        assert_eq!(first.stages_added, 2);
        assert_eq!(first.run_key, "gitlab|group/app||1|100|build-job|1");

        let again = store.ingest(&profiles).unwrap();
        assert_eq!(
            (again.run_id, again.new, again.stages_added),
            (first.run_id, false, 0)
        );

        // A later stage of the same job joins the same run.
        let mut package = stage(&run(1), "package", 5.0, 4.0, 50, 0.0);
        package.stage.exit_code = Some(2);
        profiles.push(package);
        let more = store.ingest(&profiles).unwrap();
        assert_eq!(
            (more.run_id, more.new, more.stages_added),
            (first.run_id, false, 1)
        );

        // A retry is another run.
        let retry = store
            .ingest(&job(
                &Run {
                    attempt: 2,
                    ..run(1)
                },
                0.0,
            ))
            .unwrap();
        assert!(retry.new);
        assert_ne!(retry.run_id, first.run_id);

        let runs = store
            .recent_runs(&RunFilter {
                limit: 10,
                ..RunFilter::default()
            })
            .unwrap();
        assert_eq!(runs.len(), 2, "{}", db.label());
        let original = runs.iter().find(|r| r.id == first.run_id).unwrap();
        assert_eq!(original.stages, 3);
        assert_eq!(original.failed_stages, 1);
        assert_eq!(original.branch, "main");
        assert_eq!(original.repository, "group/app");
        assert_eq!(original.attempt, Some(1));
        assert_eq!(original.started_at, "2026-03-01T00:01:00.250Z");
        assert!(
            (original.wall_seconds - 60.0).abs() < 1e-9,
            "{}",
            original.wall_seconds
        );
    }
}

#[test]
fn local_runs_are_keyed_by_their_first_stage() {
    for db in databases("local_keys") {
        let store = Store::open(&db.spec()).unwrap();
        let mut build = recorded().clone();
        build.ci = Default::default();
        build.ci.provider = "local".into();
        let first = store.ingest(std::slice::from_ref(&build)).unwrap();
        assert!(first.run_key.starts_with("local:"), "{}", first.run_key);
        let mut test = build.clone();
        test.stage.name = "test".into();
        test.stage.started_at = "2099-01-01T00:00:00Z".into();
        let both = store.ingest(&[build.clone(), test]).unwrap();
        assert_eq!(
            (both.run_id, both.new, both.stages_added),
            (first.run_id, false, 1)
        );
        // Another local run of the same stage, started later, is a new run.
        build.stage.started_at = "2099-01-02T00:00:00Z".into();
        assert!(store.ingest(&[build]).unwrap().new);
    }
}

#[test]
fn bad_input_is_refused() {
    for db in databases("bad_input") {
        let store = Store::open(&db.spec()).unwrap();
        assert!(matches!(store.ingest(&[]), Err(StoreError::NoProfiles)));
        let mut other_job = stage(&run(2), "test", 1.0, 1.0, 1, 0.0);
        other_job.ci.job_id = Some("999".into());
        let err = store
            .ingest(&[stage(&run(2), "build", 1.0, 1.0, 1, 0.0), other_job])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "stage build and stage test come from different CI jobs; record each job's directory on its own"
        );
        let twice = stage(&run(2), "build", 1.0, 1.0, 1, 0.0);
        assert!(matches!(
            store.ingest(&[twice.clone(), twice]),
            Err(StoreError::DuplicateStage { .. })
        ));
        let mut bad_time = stage(&run(2), "build", 1.0, 1.0, 1, 0.0);
        bad_time.stage.started_at = "yesterday".into();
        assert!(matches!(
            store.ingest(&[bad_time]),
            Err(StoreError::BadTimestamp { .. })
        ));
        // Nothing was written.
        let runs = store
            .recent_runs(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert!(runs.is_empty());
    }
}

#[test]
fn an_older_store_is_migrated_on_open() {
    for db in databases("migrate") {
        let spec = db.spec();
        let old = Store::open_at_version(&spec, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        let recorded_run = old.ingest(&job(&run(1), 0.0)).unwrap();
        drop(old);

        let store = Store::open(&spec).unwrap();
        assert_eq!(store.schema_version().unwrap(), 2, "{}", db.label());
        // The data of version 1 is still there and still found by its key.
        let again = store.ingest(&job(&run(1), 0.0)).unwrap();
        assert_eq!((again.run_id, again.new), (recorded_run.run_id, false));
        assert!(store.ingest(&job(&run(2), 0.0)).unwrap().new);
        // Opening a current store again applies nothing and changes nothing.
        drop(store);
        let store = Store::open(&spec).unwrap();
        assert_eq!(store.schema_version().unwrap(), 2);
        let runs = store
            .recent_runs(&RunFilter {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(runs.len(), 2);
    }
}

#[test]
fn baseline_compares_like_with_like() {
    for db in databases("baseline") {
        let store = Store::open(&db.spec()).unwrap();
        // Eight good runs on main on the same class of machine…
        for i in 1..=8 {
            store.ingest(&job(&run(i), jitter(i))).unwrap();
        }
        // …and runs that must not count: another machine class, another branch, a failure.
        for r in [
            Run {
                host: "x86_64/2c/8GiB/Small CPU",
                ..run(20)
            },
            Run {
                branch: "refs/heads/feature",
                ..run(21)
            },
        ] {
            store.ingest(&job(&r, 0.0)).unwrap();
        }
        let mut failed = job(&run(22), 0.0);
        failed[0].stage.exit_code = Some(1);
        failed[0].stage.wall_seconds = 5.0;
        store.ingest(&failed).unwrap();

        // This job: build 20 % slower with a compiler CPU rise, test unchanged, less memory.
        let current_run = run(30);
        let mut current = job(&current_run, 0.0);
        current[0].stage.wall_seconds = 72.0;
        current[0]
            .roles
            .get_mut(&Role::Compiler)
            .unwrap()
            .cpu_seconds = 130.0;
        current[0].totals.cpu_seconds = 150.0;
        current[1].totals.peak_rss_bytes = 400 << 20;
        // Already recorded (ingest ran before report): it must not be its own baseline.
        store.ingest(&current).unwrap();

        let started = Instant::now();
        let query = BaselineQuery::for_profiles(&current, "main", 20).unwrap();
        assert_eq!(query.host_class, "x86_64/8c/32GiB/Test CPU");
        assert_eq!(query.repository, "group/app");
        let baseline = store.baseline(&query).unwrap();
        let elapsed = started.elapsed();
        let build_wall = baseline.values("build", None, Metric::WallSeconds);
        assert_eq!(build_wall.len(), 8, "{}: {baseline:#?}", db.label());
        // Newest first.
        assert_eq!(build_wall[0], 60.0 + jitter(8));

        let comparisons = compare(&current, &baseline);
        let c = find(&comparisons, "build", None, Metric::WallSeconds);
        assert_eq!(c.verdict, Verdict::Regression, "{c:?}");
        assert_eq!(c.baseline_runs, 8);
        assert!(
            (c.change_ratio.unwrap() - (72.0 - c.median.unwrap()) / c.median.unwrap()).abs()
                < 1e-12
        );
        assert_eq!(
            find(&comparisons, "build", None, Metric::CpuSeconds).verdict,
            Verdict::Regression
        );
        assert_eq!(
            find(
                &comparisons,
                "build",
                Some(Role::Compiler),
                Metric::CpuSeconds
            )
            .verdict,
            Verdict::Regression
        );
        assert_eq!(
            find(&comparisons, "test", None, Metric::WallSeconds).verdict,
            Verdict::WithinNoise
        );
        assert_eq!(
            find(&comparisons, "test", None, Metric::CpuSeconds).verdict,
            Verdict::WithinNoise
        );
        assert_eq!(
            find(&comparisons, "test", None, Metric::PeakRssBytes).verdict,
            Verdict::Improvement
        );
        eprintln!(
            "{}: baseline of 2 stages × 8 runs in {elapsed:?}",
            db.label()
        );

        // The N newest only.
        let five = store
            .baseline(&BaselineQuery {
                runs: 5,
                ..query.clone()
            })
            .unwrap();
        assert_eq!(five.values("build", None, Metric::WallSeconds).len(), 5);
        let json = serde_json::to_value(compare(&current, &five)).unwrap();
        assert_eq!(json[0]["verdict"], "regression");
        assert_eq!(json[0]["metric"], "wall_seconds");
        assert_eq!(json[0]["role"], serde_json::Value::Null);

        // A short history gives no verdict.
        let short = store.baseline(&BaselineQuery { runs: 3, ..query }).unwrap();
        let comparisons = compare(&current, &short);
        assert!(
            comparisons
                .iter()
                .all(|c| c.verdict == Verdict::InsufficientHistory)
        );
    }
}

#[test]
fn hundred_runs() {
    for db in databases("hundred") {
        let store = Store::open(&db.spec()).unwrap();
        let started = Instant::now();
        for i in 1..=100 {
            assert!(store.ingest(&job(&run(i), jitter(i))).unwrap().new);
        }
        let ingest = started.elapsed();
        let current = job(&run(200), 0.0);
        let query = BaselineQuery::for_profiles(&current, "main", 20).unwrap();
        let started = Instant::now();
        let baseline = store.baseline(&query).unwrap();
        let query_time = started.elapsed();
        let comparisons = compare(&current, &baseline);
        assert_eq!(
            baseline.values("build", None, Metric::WallSeconds).len(),
            20
        );
        assert!(
            comparisons
                .iter()
                .all(|c| c.verdict == Verdict::WithinNoise),
            "{comparisons:#?}"
        );
        eprintln!(
            "{}: ingest of 100 two-stage runs {ingest:?} ({:?} per run); baseline of 2 stages × 20 runs {query_time:?}",
            db.label(),
            ingest / 100
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI

fn write_job(dir: &Path, profiles: &[StageProfile]) {
    std::fs::create_dir_all(dir).unwrap();
    for p in profiles {
        write_profile_atomic(&dir.join(format!("stage-{}.json", p.stage.name)), p).unwrap();
    }
}

fn cicd(args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).env_remove("CICD_MONITOR_STORE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn cli_ingest_and_list() {
    for db in databases("cli") {
        let tmp = tempfile::tempdir().unwrap();
        let (job1, job2) = (tmp.path().join("job1"), tmp.path().join("job2"));
        write_job(&job1, &job(&run(1), 0.0));
        write_job(
            &job2,
            &job(
                &Run {
                    branch: "refs/pull/7/merge",
                    ..run(2)
                },
                0.0,
            ),
        );
        let spec = db.spec();
        let o = cicd(
            &[
                "history",
                "ingest",
                "--store",
                &spec,
                job1.to_str().unwrap(),
                job2.to_str().unwrap(),
                job1.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert!(
            lines[0].contains("job1: recorded run 1 (2 stages, main)"),
            "{err}"
        );
        assert!(
            lines[1].contains("job2: recorded run 2 (2 stages, pull/7)"),
            "{err}"
        );
        assert!(lines[2].ends_with("job1: run 1 already recorded"), "{err}");
        if let Some(password) = password_of(&spec) {
            assert!(!err.contains(&format!(":{password}@")), "password in {err}");
        }
        assert!(stdout(&o).is_empty());

        let o = cicd(&["history", "list", "--store", &spec], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].starts_with("ID  STARTED"), "{out}");
        assert!(
            lines[1].starts_with("2 ") && lines[1].contains("pull/7"),
            "{out}"
        );
        assert!(lines[2].contains("gitlab #1 build-job"), "{out}");
        let o = cicd(
            &[
                "history",
                "list",
                "--store",
                &spec,
                "--branch",
                "refs/heads/main",
            ],
            &[],
        );
        assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    }
}

#[test]
fn cli_errors_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("h.sqlite");
    let store = store.to_str().unwrap();
    let good = tmp.path().join("good");
    write_job(&good, &job(&run(1), 0.0));
    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("stage-build.json"),
        "{\"schema_version\": 1, \"stage\": 3}",
    )
    .unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = cicd(
        &[
            "history",
            "ingest",
            "--store",
            store,
            bad.to_str().unwrap(),
            empty.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "error: failed to parse profile {}",
            bad.join("stage-build.json").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "error: no stage profiles (stage-*.json) in {}",
            empty.display()
        )),
        "{err}"
    );
    // The good directory is still recorded.
    assert!(err.contains("good: recorded run 1"), "{err}");

    let o = cicd(
        &["history", "list", "--store", "mysql://u:hunter2@db/x"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("unsupported history store mysql://u:***@db/x"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn cli_default_store_is_under_xdg_data_home() {
    let tmp = tempfile::tempdir().unwrap();
    let job_dir = tmp.path().join("job");
    write_job(&job_dir, &job(&run(1), 0.0));
    let data = tmp.path().join("data");
    let o = cicd(
        &["history", "ingest", job_dir.to_str().unwrap()],
        &[("XDG_DATA_HOME", &data)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(data.join("cicd-monitor/history.sqlite").is_file());
    let home = tmp.path().join("home");
    let o = Command::new(bin())
        .args(["history", "list"])
        .env_remove("CICD_MONITOR_STORE")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        home.join(".local/share/cicd-monitor/history.sqlite")
            .is_file()
    );
}

#[test]
fn postgres_password_is_masked_in_errors() {
    let Ok(url) = std::env::var(POSTGRES_VAR) else {
        eprintln!("PostgreSQL skipped: set {POSTGRES_VAR} to run this test");
        return;
    };
    let wrong = with_database(&url, "cicd_no_such_database");
    let wrong = match wrong
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
    {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap();
            format!("postgres://{user}:not-the-Password-42@{host}")
        }
        None => return,
    };
    let err = Store::open(&wrong).unwrap_err();
    let text = cicd_monitor::warn::chain(&err);
    assert!(
        text.starts_with("failed to open the history store postgres://"),
        "{text}"
    );
    assert!(!text.contains("not-the-Password-42"), "{text}");
}

/// `history ingest` keeps the run's findings, for later cross-run analyses: the sample
/// pipeline's serial phase and memory-heavy stage, on both backends; ingesting again replaces
/// them rather than adding copies.
#[test]
fn ingest_records_the_findings_of_the_run() {
    for db in databases("ingest_records_the_findings_of_the_run") {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("job");
        std::fs::create_dir_all(&dir).unwrap();
        common::pipeline_profiles(&dir);
        let spec = db.spec();
        for _ in 0..2 {
            let o = cicd(
                &["history", "ingest", "--store", &spec, dir.to_str().unwrap()],
                &[],
            );
            assert_eq!(o.status.code(), Some(0), "{}: {}", db.label(), stderr(&o));
        }
        let store = Store::open(&spec).unwrap();
        let runs = store
            .recent_runs(&RunFilter {
                limit: 5,
                ..RunFilter::default()
            })
            .unwrap();
        assert_eq!(runs.len(), 1, "{}", db.label());
        let findings = store.findings_of(runs[0].id).unwrap();
        let kinds: Vec<(Option<&str>, &str)> = findings
            .iter()
            .map(|f| (f.stage.as_deref(), f.kind.as_str()))
            .collect();
        assert!(
            kinds.contains(&(Some("build"), "under_parallelized")),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&(Some("test"), "memory_pressure")),
            "{kinds:?}"
        );
        assert_eq!(
            findings.len(),
            kinds
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            "findings recorded twice: {kinds:?}"
        );
    }
}
