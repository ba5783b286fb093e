/**
 * The store's schema, as an ordered list of migrations: version N is MIGRATIONS[N - 1].
 * Append only — a migration that has shipped is never edited, a change is a new entry.
 */
import type Database from 'better-sqlite3';
import { UsageError } from '../core/errors.js';

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE check_results (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    suite      TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    started_at TEXT NOT NULL,
    result     TEXT NOT NULL
  );
  CREATE INDEX check_results_by_check ON check_results (suite, check_id, seq);

  CREATE TABLE sync_runs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    flow             TEXT NOT NULL,
    reverse          INTEGER NOT NULL,
    status           TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    summary          TEXT NOT NULL,
    verified_through TEXT
  );
  CREATE INDEX sync_runs_by_flow ON sync_runs (flow, reverse, seq);

  CREATE TABLE runbook_runs (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    runbook     TEXT NOT NULL,
    status      TEXT NOT NULL,
    dry_run     INTEGER NOT NULL,
    params      TEXT NOT NULL,
    started_by  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
  );

  CREATE TABLE runbook_steps (
    run_id      TEXT NOT NULL REFERENCES runbook_runs (id),
    step_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    act_done_at TEXT,
    result      TEXT,
    PRIMARY KEY (run_id, step_id)
  );

  CREATE TABLE approvals (
    run_id   TEXT NOT NULL REFERENCES runbook_runs (id),
    gate     TEXT NOT NULL,
    role     TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    by_name  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       TEXT NOT NULL,
    UNIQUE (run_id, gate)
  );

  CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
  );

  CREATE TABLE reports (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    period     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    format     TEXT NOT NULL,
    body       TEXT NOT NULL
  );

  CREATE TABLE job_runs (
    job             TEXT PRIMARY KEY,
    last_started_at TEXT NOT NULL
  );
  `,
  // R4: one alert per streak of failed sync days, and its recovery notice, with the channels
  // each was delivered on — so a restart neither repeats them nor loses an undelivered one.
  `
  CREATE TABLE sync_alerts (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    flow             TEXT NOT NULL,
    streak_start     TEXT NOT NULL,
    failure_class    TEXT NOT NULL,
    failed_days      TEXT NOT NULL,
    last_error       TEXT NOT NULL,
    alerted_at       TEXT NOT NULL,
    alert_sent_to    TEXT NOT NULL DEFAULT '[]',
    recovered_at     TEXT,
    recovery_sent_to TEXT NOT NULL DEFAULT '[]',
    UNIQUE (flow, streak_start)
  );
  `,
  // R14–R16: every message of an incident with its time; external ones wait for a CTO.
  `
  CREATE TABLE messages (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    run_id     TEXT,
    kind       TEXT NOT NULL,
    audience   TEXT NOT NULL,
    status     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_by TEXT,
    sent_at    TEXT,
    channels   TEXT NOT NULL DEFAULT '[]',
    error      TEXT
  );
  CREATE INDEX messages_by_run ON messages (run_id, seq);
  `,
  // The contingency: from a live activation's first act until the DNS cutback or the undo of
  // that act. Forward syncs are held meanwhile, so nothing undoes what the standby took in.
  `
  CREATE TABLE contingencies (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id   TEXT NOT NULL UNIQUE,
    runbook  TEXT NOT NULL,
    began_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by TEXT
  );
  `,
  // Runbooks that fail safe: a failed step waits at a failure gate (decisions retry, rollback,
  // skip besides approve and reject); an act begun but not known done counts as done for undo;
  // a wait keeps its deadline across a restart; each act leaves its typed output for the steps
  // after it; each undo its result. One live run at a time, by the store's own index.
  `
  CREATE TABLE approvals_v2 (
    run_id   TEXT NOT NULL REFERENCES runbook_runs (id),
    gate     TEXT NOT NULL,
    role     TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'retry', 'rollback', 'skip')),
    by_name  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       TEXT NOT NULL,
    UNIQUE (run_id, gate)
  );
  INSERT INTO approvals_v2 (run_id, gate, role, decision, by_name, reason, at)
    SELECT run_id, gate, role, decision, by_name, reason, at FROM approvals ORDER BY rowid;
  DROP TABLE approvals;
  ALTER TABLE approvals_v2 RENAME TO approvals;

  ALTER TABLE runbook_steps ADD COLUMN act_started_at TEXT;
  ALTER TABLE runbook_steps ADD COLUMN wait_until TEXT;
  ALTER TABLE runbook_steps ADD COLUMN output TEXT;
  ALTER TABLE runbook_steps ADD COLUMN undo_result TEXT;

  CREATE UNIQUE INDEX one_live_run ON runbook_runs (dry_run) WHERE dry_run = 0 AND status IN ('running', 'awaiting-approval');
  `,
  // One store for several processes: the epoch of the leader that wrote each run, step and sync
  // (fencing); an abort asked of a replica that does not run the steps, for the one that does;
  // and "already running" held by the store, one running sync per flow whoever started it.
  `
  ALTER TABLE sync_runs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runbook_runs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runbook_runs ADD COLUMN abort_request TEXT;
  ALTER TABLE runbook_steps ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  UPDATE sync_runs SET status = 'interrupted', finished_at = started_at
    WHERE status = 'running' AND seq NOT IN (SELECT MAX(seq) FROM sync_runs WHERE status = 'running' GROUP BY flow);
  CREATE UNIQUE INDEX one_running_sync ON sync_runs (flow) WHERE status = 'running';
  `,
];

/** Brings the file up to the newest schema; each migration commits on its own. */
export function migrate(db: Database.Database, file: string, now: () => Date): { from: number; to: number } {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  if (current > MIGRATIONS.length) {
    throw new UsageError(
      `the store ${file} has schema version ${current}, newer than the ${MIGRATIONS.length} this drsentinel knows: run a newer drsentinel, or point service.stateDir elsewhere`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      record.run(version, now().toISOString());
    })();
  }
  return { from: current, to: MIGRATIONS.length };
}
