//! The history store: every ingested job run, its stages and their per-role totals, in an
//! embedded SQLite file by default or a shared PostgreSQL database (`postgres://` URL), with the
//! same queries. The base of every cross-run analysis (baselines now; tests, Docker builds,
//! artifacts and agent pools later).
//!
//! **Query layer.** `sqlx::Any` with the SQLite and PostgreSQL drivers: one SQL text per query
//! for both backends, chosen at run time from the store spec. It works for both because the
//! queries keep to what the two dialects share — `$N` placeholders (sqlx binds `$N` as numbered
//! parameters in SQLite too), `INSERT … ON CONFLICT … DO NOTHING RETURNING id` (SQLite ≥ 3.35,
//! bundled), `LIMIT $N` — and to the types `Any` carries (`i64`, `f64`, `String`, null): times
//! are RFC 3339 text plus epoch milliseconds, flags are counts, unknown text is `''` where it is
//! compared. A backend enum over `Pool<Sqlite>`/`Pool<Postgres>` would repeat every query or
//! need generic executor bounds; `Any` costs a driver dispatch per query, nothing measurable here.
//!
//! **Schema.** Versioned migrations embedded with `sqlx::migrate!`, applied on open:
//! `migrations/sqlite/` and `migrations/postgres/` hold the same versions, tables and columns;
//! only DDL type names differ (`INTEGER PRIMARY KEY AUTOINCREMENT` / `BIGINT … IDENTITY`,
//! `REAL` / `DOUBLE PRECISION`). Tables: `runs` (one per job run, unique `run_key`), `stages`
//! (one per stage profile; copies the run's repository, branch and host class for the
//! `stages_baseline` index), `stage_roles` (per-role totals), `findings` (analyses' results).
//! Identity, branch and host-class rules: [`identity`].
//!
//! **Synchronous API.** The CLI is synchronous: a [`Store`] owns a current-thread tokio runtime
//! and blocks on each call. The `wrap` path never uses this module.
//!
//! May depend on `profile`, `host` (fingerprint), `redact` and `warn` (error text).

pub mod compare;
mod error;
pub mod identity;

use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, AssertSqlSafe, Row};

use crate::profile::{Role, StageProfile};

pub use compare::{CompareSettings, Comparison, Verdict, compare, compare_with};
pub use error::{DbError, StoreError, redact_location};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// An open history store.
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The path or URL, password masked: for messages.
    location: String,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .finish()
    }
}

/// The result of [`Store::ingest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct IngestOutcome {
    /// Id of the run's row.
    pub run_id: i64,
    /// The run's identity (see `store::identity`).
    pub run_key: String,
    /// True when the run was not in the store before.
    pub new: bool,
    /// Stages recorded by this call (0 when the run and all its stages were already there).
    pub stages_added: u32,
}

/// A finding as the store keeps it (see `findings` in the migrations).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedFinding {
    /// Stage, or `None` for a finding about the whole job.
    pub stage: Option<String>,
    /// Finding kind (`under_parallelized`, `memory_pressure`, …).
    pub kind: String,
    /// Estimated saving per run, when known.
    pub saving_seconds: Option<f64>,
}

/// Which runs [`Store::recent_runs`] lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs of this repository (`owner/name`).
    pub repository: Option<String>,
    /// Only runs of this branch (normalised: `main`, `pull/17`).
    pub branch: Option<String>,
    /// Only runs on this host class.
    pub host_class: Option<String>,
    /// At most this many runs, newest first.
    pub limit: u32,
}

/// One run as [`Store::recent_runs`] lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct RunSummary {
    /// Id of the run's row.
    pub id: i64,
    /// The run's identity (see `store::identity`).
    pub run_key: String,
    /// CI provider (`github`, `gitlab`, `jenkins`, ..., `local`).
    pub provider: String,
    /// Repository; empty when unknown.
    pub repository: String,
    /// Branch, normalised; empty when unknown.
    pub branch: String,
    /// Commit SHA.
    pub commit: Option<String>,
    /// Pipeline / workflow run id.
    pub pipeline_id: Option<String>,
    /// Job name.
    pub job_name: Option<String>,
    /// Attempt of the run or job.
    pub attempt: Option<i64>,
    /// Host class (`host.fingerprint`).
    pub host_class: String,
    /// When the first stage started (RFC 3339, UTC).
    pub started_at: String,
    /// Seconds from the first stage's start to the last stage's end.
    pub wall_seconds: f64,
    /// Stages recorded.
    pub stages: i64,
    /// Stages that did not exit 0.
    pub failed_stages: i64,
}

/// Which past runs a job is compared with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct BaselineQuery {
    /// Repository of the runs (as stored: `''` when unknown).
    pub repository: String,
    /// Branch of the runs, normalised (e.g. `main`).
    pub branch: String,
    /// Host class: only stages that ran on like machines.
    pub host_class: String,
    /// Stage names to fetch.
    pub stages: Vec<String>,
    /// The newest N successful runs of each stage.
    pub runs: u32,
    /// Run key to leave out (this job itself, when it was ingested already).
    pub exclude_run: Option<String>,
}

impl BaselineQuery {
    /// The baseline of a job: its repository, host class and stages, on `branch`, leaving the
    /// job itself out.
    pub fn for_profiles(
        profiles: &[StageProfile],
        branch: &str,
        runs: u32,
    ) -> Result<BaselineQuery, StoreError> {
        let first = profiles.first().ok_or(StoreError::NoProfiles)?;
        Ok(BaselineQuery {
            repository: first.ci.repository.clone().unwrap_or_default(),
            branch: identity::branch_name(branch),
            host_class: identity::host_class(first),
            stages: profiles.iter().map(|p| p.stage.name.clone()).collect(),
            runs,
            exclude_run: identity::run_key(profiles).ok(),
        })
    }
}

/// A compared quantity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Stage wall-clock seconds.
    WallSeconds,
    /// CPU seconds (user + system): of the stage's tree, or of one role's processes.
    CpuSeconds,
    /// Peak RSS of the largest single process of the stage, in bytes.
    PeakRssBytes,
}

impl Metric {
    /// The `snake_case` name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::WallSeconds => "wall_seconds",
            Metric::CpuSeconds => "cpu_seconds",
            Metric::PeakRssBytes => "peak_rss_bytes",
        }
    }
}

/// The values of one metric of one stage (or one role in it) over the baseline runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Series {
    /// Stage name.
    pub stage: String,
    /// The process role, for per-role series; null for the whole stage.
    pub role: Option<Role>,
    /// What the values measure.
    pub metric: Metric,
    /// One value per baseline run, newest first (a role absent from a run counts 0).
    pub values: Vec<f64>,
    /// The runs the values come from, in the same order.
    pub run_ids: Vec<i64>,
}

/// The recent history a job is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub struct Baseline {
    /// Repository of the baseline runs.
    pub repository: String,
    /// Branch of the baseline runs.
    pub branch: String,
    /// Host class of the baseline runs.
    pub host_class: String,
    /// Runs asked for per stage (fewer when the history is shorter).
    pub runs_requested: u32,
    /// Per stage: wall, CPU and peak RSS; per (stage, role): CPU.
    pub series: Vec<Series>,
}

/// The default store: `$XDG_DATA_HOME/cicd-monitor/history.sqlite`, else
/// `$HOME/.local/share/cicd-monitor/history.sqlite`; `None` without either variable.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let absolute = |name: &str| {
        env(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    let data = absolute("XDG_DATA_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("share")))?;
    Some(data.join("cicd-monitor").join("history.sqlite"))
}

/// One bound value of a dynamic query.
enum Val {
    Int(Option<i64>),
    Real(f64),
    Text(Option<String>),
}

fn int(v: u64) -> Val {
    Val::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)))
}

fn text(v: &str) -> Val {
    Val::Text(Some(v.to_owned()))
}

fn opt_text(v: Option<&str>) -> Val {
    Val::Text(v.map(str::to_owned))
}

/// `INSERT INTO table (cols) VALUES ($1, …) ON CONFLICT (conflict) DO NOTHING RETURNING id`.
fn insert_sql(table: &str, cols: &[(&str, Val)], conflict: Option<&str>) -> String {
    let names: Vec<&str> = cols.iter().map(|(name, _)| *name).collect();
    let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    let mut sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        params.join(", ")
    );
    if let Some(conflict) = conflict {
        sql.push_str(&format!(
            " ON CONFLICT ({conflict}) DO NOTHING RETURNING id"
        ));
    }
    sql
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn bind_all(mut q: AnyQuery<'_>, vals: Vec<Val>) -> AnyQuery<'_> {
    for v in vals {
        q = match v {
            Val::Int(v) => q.bind(v),
            Val::Real(v) => q.bind(v),
            Val::Text(v) => q.bind(v),
        };
    }
    q
}

/// The store spec as a backend and connect options.
fn parse_spec(spec: &str) -> Result<(Backend, AnyConnectOptions, String), StoreError> {
    let location = redact_location(spec);
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        let options = spec
            .parse::<AnyConnectOptions>()
            .map_err(|e| StoreError::Open {
                location: location.clone(),
                source: e.into(),
            })?;
        return Ok((Backend::Postgres, options, location));
    }
    let path = match spec.strip_prefix("sqlite://") {
        Some(path) => Path::new(path),
        None if spec.contains("://") => return Err(StoreError::UnsupportedStore { location }),
        None => Path::new(spec),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_owned(),
            source,
        })?;
    }
    use sqlx::ConnectOptions;
    let url = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .to_url_lossy();
    let options = AnyConnectOptions::from_url(&url).map_err(|e| StoreError::Open {
        location: location.clone(),
        source: e.into(),
    })?;
    Ok((Backend::Sqlite, options, location))
}

impl Store {
    /// Opens (creating when needed) the store at `spec` — a file path, or a `postgres://` URL —
    /// and brings its schema up to date.
    pub fn open(spec: &str) -> Result<Store, StoreError> {
        Store::open_to(spec, None)
    }

    /// Opens the store with its schema migrated to `version` only: for tests of upgrades.
    #[doc(hidden)]
    pub fn open_at_version(spec: &str, version: i64) -> Result<Store, StoreError> {
        Store::open_to(spec, Some(version))
    }

    fn open_to(spec: &str, version: Option<i64>) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, options, location) = parse_spec(spec)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StoreError::Runtime)?;
        let pool = runtime
            .block_on(
                AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options),
            )
            .map_err(|e| StoreError::Open {
                location: location.clone(),
                source: e.into(),
            })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        runtime
            .block_on(async {
                match version {
                    Some(version) => migrator.run_to(version, &pool).await,
                    None => migrator.run(&pool).await,
                }
            })
            .map_err(|e| StoreError::Migrate {
                location: location.clone(),
                source: e.into(),
            })?;
        Ok(Store {
            pool,
            backend,
            location,
            runtime,
        })
    }

    /// The database behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store's path or URL, password masked.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The newest schema version applied.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let row = self
            .runtime
            .block_on(
                sqlx::query(
                    "SELECT MAX(version) AS version FROM _sqlx_migrations WHERE success = TRUE",
                )
                .fetch_one(&self.pool),
            )
            .map_err(|e| self.query_error(e))?;
        row.try_get::<Option<i64>, _>("version")
            .map(|v| v.unwrap_or(0))
            .map_err(|e| self.query_error(e))
    }

    fn query_error(&self, e: sqlx::Error) -> StoreError {
        StoreError::Query {
            location: self.location.clone(),
            source: e.into(),
        }
    }

    /// Replaces the findings recorded for run `run_id` with `findings` (the latest analysis of
    /// a run is the one kept). Returns how many were written.
    pub fn record_findings(
        &self,
        run_id: i64,
        findings: &[crate::profile::report::Finding],
    ) -> Result<usize, StoreError> {
        let result = self.runtime.block_on(async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM findings WHERE run_id = $1")
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            for f in findings {
                let evidence = serde_json::to_string(&f.evidence).unwrap_or_else(|_| "{}".into());
                sqlx::query(
                    "INSERT INTO findings (run_id, stage, kind, saving_seconds, evidence, suggestion) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(run_id)
                .bind(f.stage.clone())
                .bind(f.kind.as_str())
                .bind(f.saving_seconds)
                .bind(evidence)
                .bind(f.suggestion.clone())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        });
        result.map_err(|e| self.query_error(e))?;
        Ok(findings.len())
    }

    /// Findings recorded for run `run_id`, in the order they were written.
    pub fn findings_of(&self, run_id: i64) -> Result<Vec<RecordedFinding>, StoreError> {
        let rows = self
            .runtime
            .block_on(
                sqlx::query(
                    "SELECT stage, kind, saving_seconds FROM findings WHERE run_id = $1 ORDER BY id",
                )
                .bind(run_id)
                .fetch_all(&self.pool),
            )
            .map_err(|e| self.query_error(e))?;
        rows.iter()
            .map(|r| {
                Ok(RecordedFinding {
                    stage: r.try_get("stage")?,
                    kind: r.try_get("kind")?,
                    saving_seconds: r.try_get("saving_seconds")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| self.query_error(e))
    }

    /// Records the stage profiles of one job run. Idempotent: a run already recorded (same run
    /// key) is found again, and only its stages not recorded yet are added.
    pub fn ingest(&self, profiles: &[StageProfile]) -> Result<IngestOutcome, StoreError> {
        let run_key = identity::run_key(profiles)?;
        let mut stages = Vec::with_capacity(profiles.len());
        for p in profiles {
            let start = identity::started_at_ms(p)?;
            stages.push((p, start));
        }
        stages.sort_by(|a, b| (a.1, &a.0.stage.name).cmp(&(b.1, &b.0.stage.name)));
        let ingested_at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.runtime
            .block_on(self.ingest_async(&run_key, &stages, ingested_at_ms))
            .map_err(|e| StoreError::Ingest {
                location: self.location.clone(),
                run_key: run_key.clone(),
                source: e.into(),
            })
    }

    async fn ingest_async(
        &self,
        run_key: &str,
        stages: &[(&StageProfile, i64)],
        ingested_at_ms: i64,
    ) -> Result<IngestOutcome, sqlx::Error> {
        let (first, _) = stages[0];
        let ci = &first.ci;
        let host = &first.host;
        let repository = ci.repository.clone().unwrap_or_default();
        let branch = identity::branch_of(ci);
        let host_class = identity::host_class(first);
        let agg = RunAggregate::of(stages.iter().map(|(p, start)| StageTimes {
            started_at: p.stage.started_at.clone(),
            started_at_ms: *start,
            ended_at_ms: ended_ms(p, *start),
            exit_code: p.stage.exit_code.map(i64::from),
        }));
        let labels = serde_json::to_string(&ci.runner_labels).unwrap_or_else(|_| "[]".into());
        let run_cols = vec![
            ("run_key", text(run_key)),
            ("provider", text(&ci.provider)),
            ("repository", text(&repository)),
            ("branch", text(&branch)),
            ("git_ref", opt_text(ci.git_ref.as_deref())),
            ("commit_sha", opt_text(ci.commit.as_deref())),
            ("event", opt_text(ci.event.as_deref())),
            ("pipeline_id", opt_text(ci.pipeline_id.as_deref())),
            ("pipeline_name", opt_text(ci.pipeline_name.as_deref())),
            ("pipeline_url", opt_text(ci.pipeline_url.as_deref())),
            ("job_id", opt_text(ci.job_id.as_deref())),
            ("job_name", opt_text(ci.job_name.as_deref())),
            ("job_url", opt_text(ci.job_url.as_deref())),
            ("attempt", Val::Int(ci.attempt.map(i64::from))),
            ("runner_name", opt_text(ci.runner_name.as_deref())),
            ("runner_labels", text(&labels)),
            ("host_class", text(&host_class)),
            ("hostname", opt_text(host.hostname.as_deref())),
            ("os", text(&host.os)),
            ("arch", text(&host.arch)),
            ("cpu_model", opt_text(host.cpu_model.as_deref())),
            ("cpus", int(u64::from(crate::host::effective_cpus(host)))),
            (
                "memory_bytes",
                int(crate::host::effective_memory_bytes(host)),
            ),
            ("container", opt_text(host.container.as_deref())),
            ("virtualization", opt_text(host.virtualization.as_deref())),
            ("started_at", text(&agg.started_at)),
            ("started_at_ms", Val::Int(Some(agg.started_at_ms))),
            ("ended_at_ms", Val::Int(Some(agg.ended_at_ms))),
            ("wall_seconds", Val::Real(agg.wall_seconds())),
            ("stages", Val::Int(Some(agg.stages))),
            ("failed_stages", Val::Int(Some(agg.failed_stages))),
            ("tool_version", text(&first.tool.version)),
            ("ingested_at_ms", Val::Int(Some(ingested_at_ms))),
        ];
        let mut tx = self.pool.begin().await?;
        let sql = insert_sql("runs", &run_cols, Some("run_key"));
        let vals = run_cols.into_iter().map(|(_, v)| v).collect();
        let inserted = bind_all(sqlx::query(AssertSqlSafe(sql)), vals)
            .fetch_optional(&mut *tx)
            .await?;
        let (run_id, new) = match inserted {
            Some(row) => (row.try_get::<i64, _>("id")?, true),
            None => {
                let row = sqlx::query("SELECT id FROM runs WHERE run_key = $1")
                    .bind(run_key)
                    .fetch_one(&mut *tx)
                    .await?;
                (row.try_get::<i64, _>("id")?, false)
            }
        };
        let mut stages_added = 0;
        for (p, start) in stages {
            let cols = stage_columns(p, *start, run_id, &repository, &branch);
            let sql = insert_sql("stages", &cols, Some("run_id, name"));
            let vals = cols.into_iter().map(|(_, v)| v).collect();
            let Some(row) = bind_all(sqlx::query(AssertSqlSafe(sql)), vals)
                .fetch_optional(&mut *tx)
                .await?
            else {
                continue;
            };
            let stage_id: i64 = row.try_get("id")?;
            stages_added += 1;
            for (role, totals) in &p.roles {
                let cols = vec![
                    ("stage_id", Val::Int(Some(stage_id))),
                    ("role", text(role.as_str())),
                    ("cpu_seconds", Val::Real(totals.cpu_seconds)),
                    (
                        "unsampled_children_cpu_seconds",
                        Val::Real(totals.unsampled_children_cpu_seconds),
                    ),
                    ("processes", int(totals.processes)),
                    ("peak_rss_bytes", int(totals.peak_rss_bytes)),
                    ("read_bytes", int(totals.read_bytes)),
                    ("write_bytes", int(totals.write_bytes)),
                    ("active_seconds", Val::Real(totals.active_seconds)),
                ];
                let sql = insert_sql("stage_roles", &cols, None);
                let vals = cols.into_iter().map(|(_, v)| v).collect();
                bind_all(sqlx::query(AssertSqlSafe(sql)), vals)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if !new && stages_added > 0 {
            self.refresh_run(&mut tx, run_id).await?;
        }
        tx.commit().await?;
        Ok(IngestOutcome {
            run_id,
            run_key: run_key.to_owned(),
            new,
            stages_added,
        })
    }

    /// Recomputes a run's start, end and stage counts from its stages.
    async fn refresh_run(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        run_id: i64,
    ) -> Result<(), sqlx::Error> {
        let rows = sqlx::query(
            "SELECT started_at, started_at_ms, ended_at_ms, exit_code FROM stages WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut times = Vec::with_capacity(rows.len());
        for row in &rows {
            times.push(StageTimes {
                started_at: row.try_get("started_at")?,
                started_at_ms: row.try_get("started_at_ms")?,
                ended_at_ms: row.try_get("ended_at_ms")?,
                exit_code: row.try_get("exit_code")?,
            });
        }
        let agg = RunAggregate::of(times.into_iter());
        sqlx::query(
            "UPDATE runs SET started_at = $1, started_at_ms = $2, ended_at_ms = $3, \
             wall_seconds = $4, stages = $5, failed_stages = $6 WHERE id = $7",
        )
        .bind(agg.started_at.clone())
        .bind(agg.started_at_ms)
        .bind(agg.ended_at_ms)
        .bind(agg.wall_seconds())
        .bind(agg.stages)
        .bind(agg.failed_stages)
        .bind(run_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The newest runs matching `filter`, newest first.
    pub fn recent_runs(&self, filter: &RunFilter) -> Result<Vec<RunSummary>, StoreError> {
        let mut sql = String::from(
            "SELECT id, run_key, provider, repository, branch, commit_sha, pipeline_id, job_name, \
             attempt, host_class, started_at, wall_seconds, stages, failed_stages FROM runs",
        );
        let mut vals = Vec::new();
        for (column, value) in [
            ("repository", &filter.repository),
            ("branch", &filter.branch),
            ("host_class", &filter.host_class),
        ] {
            if let Some(value) = value {
                sql.push_str(if vals.is_empty() { " WHERE " } else { " AND " });
                vals.push(text(value));
                sql.push_str(&format!("{column} = ${}", vals.len()));
            }
        }
        vals.push(Val::Int(Some(i64::from(filter.limit))));
        sql.push_str(&format!(
            " ORDER BY started_at_ms DESC, id DESC LIMIT ${}",
            vals.len()
        ));
        let rows = self
            .runtime
            .block_on(bind_all(sqlx::query(AssertSqlSafe(sql)), vals).fetch_all(&self.pool))
            .map_err(|e| self.query_error(e))?;
        rows.iter()
            .map(run_summary)
            .collect::<Result<_, _>>()
            .map_err(|e| self.query_error(e))
    }

    /// The newest `query.runs` successful (exit 0) runs of each stage on the query's repository,
    /// branch and host class: wall, CPU and peak RSS per stage, CPU per (stage, role).
    pub fn baseline(&self, query: &BaselineQuery) -> Result<Baseline, StoreError> {
        self.runtime
            .block_on(self.baseline_async(query))
            .map_err(|e| self.query_error(e))
    }

    async fn baseline_async(&self, query: &BaselineQuery) -> Result<Baseline, sqlx::Error> {
        let mut series = Vec::new();
        for stage in &query.stages {
            let rows = sqlx::query(
                "SELECT s.id, s.run_id, s.wall_seconds, s.cpu_seconds, s.peak_rss_bytes \
                 FROM stages s JOIN runs r ON r.id = s.run_id \
                 WHERE s.repository = $1 AND s.branch = $2 AND s.name = $3 \
                 AND s.host_class = $4 AND s.exit_code = 0 AND r.run_key <> $5 \
                 ORDER BY s.started_at_ms DESC, s.id DESC LIMIT $6",
            )
            .bind(query.repository.clone())
            .bind(query.branch.clone())
            .bind(stage.clone())
            .bind(query.host_class.clone())
            .bind(query.exclude_run.clone().unwrap_or_default())
            .bind(i64::from(query.runs))
            .fetch_all(&self.pool)
            .await?;
            let mut stage_ids = Vec::with_capacity(rows.len());
            let mut run_ids = Vec::with_capacity(rows.len());
            let mut wall = Vec::with_capacity(rows.len());
            let mut cpu = Vec::with_capacity(rows.len());
            let mut rss = Vec::with_capacity(rows.len());
            for row in &rows {
                stage_ids.push(row.try_get::<i64, _>("id")?);
                run_ids.push(row.try_get::<i64, _>("run_id")?);
                wall.push(row.try_get::<f64, _>("wall_seconds")?);
                cpu.push(row.try_get::<f64, _>("cpu_seconds")?);
                rss.push(row.try_get::<i64, _>("peak_rss_bytes")? as f64);
            }
            for (metric, values) in [
                (Metric::WallSeconds, wall),
                (Metric::CpuSeconds, cpu),
                (Metric::PeakRssBytes, rss),
            ] {
                series.push(Series {
                    stage: stage.clone(),
                    role: None,
                    metric,
                    values,
                    run_ids: run_ids.clone(),
                });
            }
            if stage_ids.is_empty() {
                continue;
            }
            let params: Vec<String> = (1..=stage_ids.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT stage_id, role, cpu_seconds FROM stage_roles WHERE stage_id IN ({})",
                params.join(", ")
            );
            let vals = stage_ids.iter().map(|id| Val::Int(Some(*id))).collect();
            let role_rows = bind_all(sqlx::query(AssertSqlSafe(sql)), vals)
                .fetch_all(&self.pool)
                .await?;
            let mut by_role: std::collections::BTreeMap<Role, Vec<f64>> = Default::default();
            for row in &role_rows {
                let stage_id: i64 = row.try_get("stage_id")?;
                let name: String = row.try_get("role")?;
                // A role this version does not know (written by a newer one) is skipped.
                let Some(role) = Role::from_name(&name) else {
                    continue;
                };
                let Some(at) = stage_ids.iter().position(|id| *id == stage_id) else {
                    continue;
                };
                by_role
                    .entry(role)
                    .or_insert_with(|| vec![0.0; stage_ids.len()])[at] =
                    row.try_get("cpu_seconds")?;
            }
            for (role, values) in by_role {
                series.push(Series {
                    stage: stage.clone(),
                    role: Some(role),
                    metric: Metric::CpuSeconds,
                    values,
                    run_ids: run_ids.clone(),
                });
            }
        }
        Ok(Baseline {
            repository: query.repository.clone(),
            branch: query.branch.clone(),
            host_class: query.host_class.clone(),
            runs_requested: query.runs,
            series,
        })
    }
}

fn run_summary(row: &AnyRow) -> Result<RunSummary, sqlx::Error> {
    Ok(RunSummary {
        id: row.try_get("id")?,
        run_key: row.try_get("run_key")?,
        provider: row.try_get("provider")?,
        repository: row.try_get("repository")?,
        branch: row.try_get("branch")?,
        commit: row.try_get("commit_sha")?,
        pipeline_id: row.try_get("pipeline_id")?,
        job_name: row.try_get("job_name")?,
        attempt: row.try_get("attempt")?,
        host_class: row.try_get("host_class")?,
        started_at: row.try_get("started_at")?,
        wall_seconds: row.try_get("wall_seconds")?,
        stages: row.try_get("stages")?,
        failed_stages: row.try_get("failed_stages")?,
    })
}

fn ended_ms(p: &StageProfile, started_at_ms: i64) -> i64 {
    let wall_ms = (p.stage.wall_seconds.max(0.0) * 1000.0).round();
    started_at_ms.saturating_add(if wall_ms.is_finite() {
        wall_ms as i64
    } else {
        0
    })
}

fn stage_columns(
    p: &StageProfile,
    started_at_ms: i64,
    run_id: i64,
    repository: &str,
    branch: &str,
) -> Vec<(&'static str, Val)> {
    let t = &p.totals;
    vec![
        ("run_id", Val::Int(Some(run_id))),
        ("name", text(&p.stage.name)),
        ("repository", text(repository)),
        ("branch", text(branch)),
        ("host_class", text(&identity::host_class(p))),
        ("job", opt_text(p.stage.job.as_deref())),
        ("command", text(&p.stage.command)),
        ("exit_code", Val::Int(p.stage.exit_code.map(i64::from))),
        ("signal", Val::Int(p.stage.signal.map(i64::from))),
        ("started_at", text(&p.stage.started_at)),
        ("started_at_ms", Val::Int(Some(started_at_ms))),
        ("ended_at_ms", Val::Int(Some(ended_ms(p, started_at_ms)))),
        ("wall_seconds", Val::Real(p.stage.wall_seconds)),
        ("cpu_user_seconds", Val::Real(t.cpu_user_seconds)),
        ("cpu_system_seconds", Val::Real(t.cpu_system_seconds)),
        ("cpu_seconds", Val::Real(t.cpu_seconds)),
        ("cpu_source", text(&t.cpu_source)),
        ("average_parallelism", Val::Real(t.average_parallelism)),
        ("peak_rss_bytes", int(t.peak_rss_bytes)),
        (
            "peak_memory_bytes",
            Val::Int(
                t.peak_memory_bytes
                    .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
            ),
        ),
        ("read_bytes", int(t.read_bytes)),
        ("write_bytes", int(t.write_bytes)),
        ("processes", int(t.processes)),
        ("peak_live_processes", int(t.peak_live_processes)),
        ("lingering_processes", int(t.lingering_processes)),
        (
            "oom_kills",
            Val::Int(t.oom_kills.map(|v| i64::try_from(v).unwrap_or(i64::MAX))),
        ),
        (
            "unattributed_cpu_seconds",
            Val::Real(t.unattributed_cpu_seconds),
        ),
        ("cpus", int(u64::from(crate::host::effective_cpus(&p.host)))),
        (
            "memory_bytes",
            int(crate::host::effective_memory_bytes(&p.host)),
        ),
        ("monitor_mode", text(&p.monitor.mode)),
        (
            "monitor_interval_seconds",
            Val::Real(p.monitor.interval_seconds),
        ),
        ("monitor_cpu_seconds", Val::Real(p.monitor.cpu_seconds)),
        ("profile_schema_version", int(u64::from(p.schema_version))),
    ]
}

struct StageTimes {
    started_at: String,
    started_at_ms: i64,
    ended_at_ms: i64,
    exit_code: Option<i64>,
}

/// A run's span and stage counts, from its stages.
struct RunAggregate {
    started_at: String,
    started_at_ms: i64,
    ended_at_ms: i64,
    stages: i64,
    failed_stages: i64,
}

impl RunAggregate {
    fn of(stages: impl Iterator<Item = StageTimes>) -> RunAggregate {
        let mut agg = RunAggregate {
            started_at: String::new(),
            started_at_ms: i64::MAX,
            ended_at_ms: i64::MIN,
            stages: 0,
            failed_stages: 0,
        };
        for s in stages {
            if s.started_at_ms < agg.started_at_ms {
                agg.started_at_ms = s.started_at_ms;
                agg.started_at = s.started_at;
            }
            agg.ended_at_ms = agg.ended_at_ms.max(s.ended_at_ms);
            agg.stages += 1;
            // A stage whose end was never seen (null exit code) counts as failed too.
            if s.exit_code != Some(0) {
                agg.failed_stages += 1;
            }
        }
        agg
    }

    fn wall_seconds(&self) -> f64 {
        (self.ended_at_ms - self.started_at_ms).max(0) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_follows_xdg() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            default_path(&env(&[("XDG_DATA_HOME", "/x/data"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/x/data/cicd-monitor/history.sqlite"))
        );
        // A relative XDG_DATA_HOME is invalid by the spec and ignored.
        assert_eq!(
            default_path(&env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/home/u")])),
            Some(PathBuf::from(
                "/home/u/.local/share/cicd-monitor/history.sqlite"
            ))
        );
        assert_eq!(default_path(&env(&[])), None);
    }

    #[test]
    fn specs() {
        assert!(matches!(
            parse_spec("mysql://u:pw@h/db"),
            Err(StoreError::UnsupportedStore { location }) if location == "mysql://u:***@h/db"
        ));
        let (backend, _, location) = parse_spec("postgres://u:pw@localhost/db").unwrap();
        assert_eq!(
            (backend, location.as_str()),
            (Backend::Postgres, "postgres://u:***@localhost/db")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a b?c#d").join("h.sqlite");
        let (backend, options, _) = parse_spec(path.to_str().unwrap()).unwrap();
        assert_eq!(backend, Backend::Sqlite);
        assert!(path.parent().unwrap().is_dir());
        // The file name survives the URL round trip through `Any`, odd characters and all.
        let sqlite = sqlx::sqlite::SqliteConnectOptions::try_from(&options).unwrap();
        assert_eq!(sqlite.get_filename(), path);
    }

    #[test]
    fn run_span() {
        let agg = RunAggregate::of(
            [
                (2_000, 5_000, Some(0)),
                (1_000, 3_000, Some(1)),
                (4_000, 9_500, None),
            ]
            .into_iter()
            .map(|(start, end, exit_code)| StageTimes {
                started_at: format!("t{start}"),
                started_at_ms: start,
                ended_at_ms: end,
                exit_code,
            }),
        );
        assert_eq!(agg.started_at, "t1000");
        assert_eq!((agg.stages, agg.failed_stages), (3, 2));
        assert_eq!(agg.wall_seconds(), 8.5);
    }
}
