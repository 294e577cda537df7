-- History store, schema version 2 (SQLite): findings of the analyses, per run. Identical in
-- ../postgres/0002_findings.sql but for the type names.
CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    -- Null for a finding about the whole job.
    stage TEXT,
    -- `cpu_saturated`, `under_parallelized`, `io_bound`, `memory_pressure`, ...
    kind TEXT NOT NULL,
    saving_seconds REAL,
    -- JSON object of named evidence numbers.
    evidence TEXT NOT NULL DEFAULT '{}',
    suggestion TEXT NOT NULL DEFAULT ''
);
CREATE INDEX findings_by_run ON findings (run_id);
CREATE INDEX findings_by_kind ON findings (kind, run_id);
