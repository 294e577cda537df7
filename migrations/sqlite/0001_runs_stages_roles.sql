-- History store, schema version 1 (SQLite). Kept column for column identical to
-- ../postgres/0001_runs_stages_roles.sql: only the type names differ. Never edit an applied
-- migration (sqlx checks their checksums); add a new numbered file instead.

-- One row per job run: the stage profiles of one job directory.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Identity of the job run; re-ingesting the same job finds this row (see store::identity).
    run_key TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    -- '' when unknown, so that equality works the same in SQLite and PostgreSQL.
    repository TEXT NOT NULL DEFAULT '',
    branch TEXT NOT NULL DEFAULT '',
    git_ref TEXT,
    commit_sha TEXT,
    event TEXT,
    pipeline_id TEXT,
    pipeline_name TEXT,
    pipeline_url TEXT,
    job_id TEXT,
    job_name TEXT,
    job_url TEXT,
    attempt INTEGER,
    runner_name TEXT,
    -- JSON array of strings.
    runner_labels TEXT NOT NULL DEFAULT '[]',
    -- host.fingerprint of the first stage: machines of one class are compared with each other.
    host_class TEXT NOT NULL,
    hostname TEXT,
    os TEXT NOT NULL,
    arch TEXT NOT NULL,
    cpu_model TEXT,
    -- Effective cores and memory (cgroup quota, affinity and limits applied).
    cpus INTEGER NOT NULL,
    memory_bytes INTEGER NOT NULL,
    container TEXT,
    virtualization TEXT,
    started_at TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER NOT NULL,
    wall_seconds REAL NOT NULL,
    stages INTEGER NOT NULL,
    failed_stages INTEGER NOT NULL,
    tool_version TEXT NOT NULL,
    ingested_at_ms INTEGER NOT NULL
);
CREATE INDEX runs_by_branch ON runs (repository, branch, started_at_ms);

-- One row per stage profile (stage-NAME.json).
CREATE TABLE stages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- Copies of the run's grouping columns (rows never change), so that a baseline is one range
    -- scan of stages_baseline.
    repository TEXT NOT NULL,
    branch TEXT NOT NULL,
    host_class TEXT NOT NULL,
    job TEXT,
    command TEXT NOT NULL,
    exit_code INTEGER,
    signal INTEGER,
    started_at TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER NOT NULL,
    wall_seconds REAL NOT NULL,
    cpu_user_seconds REAL NOT NULL,
    cpu_system_seconds REAL NOT NULL,
    cpu_seconds REAL NOT NULL,
    cpu_source TEXT NOT NULL,
    average_parallelism REAL NOT NULL,
    peak_rss_bytes INTEGER NOT NULL,
    peak_memory_bytes INTEGER,
    read_bytes INTEGER NOT NULL,
    write_bytes INTEGER NOT NULL,
    processes INTEGER NOT NULL,
    peak_live_processes INTEGER NOT NULL,
    lingering_processes INTEGER NOT NULL,
    oom_kills INTEGER,
    unattributed_cpu_seconds REAL NOT NULL,
    cpus INTEGER NOT NULL,
    memory_bytes INTEGER NOT NULL,
    monitor_mode TEXT NOT NULL,
    monitor_interval_seconds REAL NOT NULL,
    monitor_cpu_seconds REAL NOT NULL,
    profile_schema_version INTEGER NOT NULL,
    UNIQUE (run_id, name)
);
CREATE INDEX stages_baseline ON stages (repository, branch, name, host_class, started_at_ms);

-- One row per (stage, process role) of a stage profile's `roles`.
CREATE TABLE stage_roles (
    stage_id INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    cpu_seconds REAL NOT NULL,
    unsampled_children_cpu_seconds REAL NOT NULL,
    processes INTEGER NOT NULL,
    peak_rss_bytes INTEGER NOT NULL,
    read_bytes INTEGER NOT NULL,
    write_bytes INTEGER NOT NULL,
    active_seconds REAL NOT NULL,
    PRIMARY KEY (stage_id, role)
);
