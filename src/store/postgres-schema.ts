/**
 * The store's schema on PostgreSQL: the same tables and columns as on SQLite (migrations.ts),
 * reached in fewer steps since PostgreSQL came later, plus the leader's lease. Append only, as
 * there. Replicas that start together migrate one at a time: an advisory lock held by the
 * migrating transaction makes the second wait, then find the work done.
 */
import { UsageError } from '../core/errors.js';
import type { Sql } from './sql.js';

export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE check_results (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    suite      TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    status     TEXT NOT NULL,
    started_at TEXT NOT NULL,
    result     TEXT NOT NULL
  );
  CREATE INDEX check_results_by_check ON check_results (suite, check_id, seq);

  CREATE TABLE sync_runs (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    flow             TEXT NOT NULL,
    reverse          INTEGER NOT NULL,
    status           TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    summary          TEXT NOT NULL,
    verified_through TEXT,
    epoch            BIGINT NOT NULL DEFAULT 0
  );
  CREATE INDEX sync_runs_by_flow ON sync_runs (flow, reverse, seq);
  CREATE UNIQUE INDEX one_running_sync ON sync_runs (flow) WHERE status = 'running';

  CREATE TABLE runbook_runs (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    runbook       TEXT NOT NULL,
    status        TEXT NOT NULL,
    dry_run       INTEGER NOT NULL,
    params        TEXT NOT NULL,
    started_by    TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    epoch         BIGINT NOT NULL DEFAULT 0,
    abort_request TEXT
  );
  CREATE UNIQUE INDEX one_live_run ON runbook_runs (dry_run) WHERE dry_run = 0 AND status IN ('running', 'awaiting-approval');

  CREATE TABLE runbook_steps (
    run_id         TEXT NOT NULL REFERENCES runbook_runs (id),
    step_id        TEXT NOT NULL,
    position       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    status         TEXT NOT NULL,
    started_at     TEXT,
    finished_at    TEXT,
    act_done_at    TEXT,
    result         TEXT,
    act_started_at TEXT,
    wait_until     TEXT,
    output         TEXT,
    undo_result    TEXT,
    epoch          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, step_id)
  );

  CREATE TABLE approvals (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id   TEXT NOT NULL REFERENCES runbook_runs (id),
    gate     TEXT NOT NULL,
    role     TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'retry', 'rollback', 'skip')),
    by_name  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       TEXT NOT NULL,
    UNIQUE (run_id, gate)
  );

  CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
  );

  CREATE TABLE reports (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

  CREATE TABLE sync_alerts (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

  CREATE TABLE messages (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

  CREATE TABLE contingencies (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id   TEXT NOT NULL UNIQUE,
    runbook  TEXT NOT NULL,
    began_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by TEXT
  );

  -- The leader's lease: who holds it, until when (the database's clock, so replicas whose
  -- clocks drift still agree), and its epoch, raised at every change of hands.
  CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
  );
  `,
];

/** Any number that both replicas agree on: the key of the migrations' advisory lock. */
const MIGRATION_LOCK = 7_340_211;

/** Brings the database up to the newest schema; safe when several replicas start at once. */
export async function migratePostgres(sql: Sql, where: string, now: () => Date): Promise<{ from: number; to: number }> {
  return sql.transaction(async (tx) => {
    await tx.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const current = (await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations'))?.v ?? 0;
    if (current > POSTGRES_MIGRATIONS.length) {
      throw new UsageError(
        `the store ${where} has schema version ${current}, newer than the ${POSTGRES_MIGRATIONS.length} this drsentinel knows: run a newer drsentinel, or point store.postgres.url elsewhere`,
      );
    }
    for (let version = current + 1; version <= POSTGRES_MIGRATIONS.length; version++) {
      await tx.exec(POSTGRES_MIGRATIONS[version - 1]!);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [version, now().toISOString()]);
    }
    return { from: current, to: POSTGRES_MIGRATIONS.length };
  });
}
