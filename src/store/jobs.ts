/** The last start of each scheduled job: one row per job, enough for catch-up after downtime. */
import { fenced, type Fence } from './fence.js';
import type { Sql } from './sql.js';
import type { Store } from './types.js';

export function jobsTable(sql: Sql, fence: Fence): Store['jobs'] {
  return {
    async lastRun(job) {
      const row = await sql.get<{ last_started_at: string }>('SELECT last_started_at FROM job_runs WHERE job = ?', [job]);
      return row ? new Date(row.last_started_at) : undefined;
    },
    // Only the leader runs the schedule: a replica that lost the lease records no start.
    async recordRun(job, at) {
      await fenced(sql, fence, (tx) =>
        tx.run('INSERT INTO job_runs (job, last_started_at) VALUES (?, ?) ON CONFLICT (job) DO UPDATE SET last_started_at = excluded.last_started_at', [job, at.toISOString()]));
    },
  };
}
