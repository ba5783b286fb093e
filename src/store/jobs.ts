/** The last start of each scheduled job: one row per job, enough for catch-up after downtime. */
import type Database from 'better-sqlite3';
import type { Store } from './types.js';

export function jobsTable(db: Database.Database): Store['jobs'] {
  const get = db.prepare<[string], { last_started_at: string }>('SELECT last_started_at FROM job_runs WHERE job = ?');
  const upsert = db.prepare(
    'INSERT INTO job_runs (job, last_started_at) VALUES (?, ?) ON CONFLICT (job) DO UPDATE SET last_started_at = excluded.last_started_at',
  );
  return {
    lastRun(job) {
      const row = get.get(job);
      return row ? new Date(row.last_started_at) : undefined;
    },
    recordRun(job, at) {
      upsert.run(job, at.toISOString());
    },
  };
}
