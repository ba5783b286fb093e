/** Sync runs, forward and reverse; the forward ones feed RPO and the failure alert. */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { fenced, type Fence } from './fence.js';
import { isUniqueViolation, type Sql } from './sql.js';
import type { Store, SyncRunRecord, SyncStatus } from './types.js';
import type { SyncFlow } from '../core/flows.js';
import type { SyncRunSummary } from '../core/sync-summary.js';

interface Row {
  id: string;
  flow: SyncFlow;
  reverse: number;
  status: SyncStatus;
  started_at: string;
  finished_at: string | null;
  summary: string;
  verified_through: string | null;
}

function toRecord(row: Row): SyncRunRecord {
  return {
    id: row.id,
    flow: row.flow,
    reverse: row.reverse === 1,
    status: row.status,
    startedAt: row.started_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    // As the service wrote it for the row's flow.
    summary: JSON.parse(row.summary) as SyncRunSummary,
    ...(row.verified_through ? { verifiedThrough: row.verified_through } : {}),
  };
}

export function syncsTable(sql: Sql, now: () => Date, fence: Fence): Store['syncs'] {
  const get = (db: Sql, id: string) => db.get<Row>('SELECT * FROM sync_runs WHERE id = ?', [id]);
  const mustChange = (changes: number, id: string) => {
    if (changes === 0) throw new NotFoundError(`sync run ${id} does not exist`);
  };
  /** `write`, which makes a run of `flow` running: refused, naming the one already running, by the index one_running_sync. */
  const refusedWhileRunning = async <T>(flow: SyncFlow, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const running = await sql.get<Row>("SELECT * FROM sync_runs WHERE flow = ? AND status = 'running'", [flow]);
      throw new ConflictError(`the ${flow} sync is already running${running ? `: run ${running.id}, started ${running.started_at}` : ''}`);
    }
  };
  return {
    // The index one_running_sync: one running run per flow, whichever process started it.
    async start(flow, reverse) {
      const id = randomUUID();
      await refusedWhileRunning(flow, () =>
        fenced(sql, fence, (tx, epoch) =>
          tx.run("INSERT INTO sync_runs (id, flow, reverse, status, started_at, summary, epoch) VALUES (?, ?, ?, 'running', ?, '{}', ?)", [id, flow, reverse ? 1 : 0, now().toISOString(), epoch])));
      return toRecord((await get(sql, id))!);
    },
    // Not fenced: a follower records what a person asked of it; only the leader claims it.
    async enqueue(flow, reverse, request) {
      const id = randomUUID();
      await sql.run("INSERT INTO sync_runs (id, flow, reverse, status, started_at, summary) VALUES (?, ?, ?, 'queued', ?, ?)", [
        id, flow, reverse ? 1 : 0, now().toISOString(), JSON.stringify({ request } satisfies SyncRunSummary),
      ]);
      return toRecord((await get(sql, id))!);
    },
    queued: async () => (await sql.all<Row>("SELECT * FROM sync_runs WHERE status = 'queued' ORDER BY seq")).map(toRecord),
    // Only a queued row changes, so of two claims of one run the second finds nothing to take.
    async claim(id) {
      const row = await get(sql, id);
      if (row?.status !== 'queued') return undefined;
      const { changes } = await refusedWhileRunning(row.flow, () =>
        fenced(sql, fence, (tx, epoch) =>
          tx.run("UPDATE sync_runs SET status = 'running', started_at = ?, epoch = ? WHERE id = ? AND status = 'queued'", [now().toISOString(), epoch, id])));
      return changes === 0 ? undefined : toRecord((await get(sql, id))!);
    },
    update: (id, summary) =>
      fenced(sql, fence, async (tx, epoch) => mustChange((await tx.run('UPDATE sync_runs SET summary = ?, epoch = ? WHERE id = ?', [JSON.stringify(summary), epoch, id])).changes, id)),
    finish: (id, status, summary, verifiedThrough) =>
      fenced(sql, fence, async (tx, epoch) =>
        mustChange((await tx.run('UPDATE sync_runs SET status = ?, finished_at = ?, summary = ?, verified_through = ?, epoch = ? WHERE id = ?', [
          status, now().toISOString(), JSON.stringify(summary), verifiedThrough ?? null, epoch, id,
        ])).changes, id)),
    async get(id) {
      const row = await get(sql, id);
      return row && toRecord(row);
    },
    async list(limit, flow) {
      const rows = flow
        ? await sql.all<Row>('SELECT * FROM sync_runs WHERE flow = ? ORDER BY seq DESC LIMIT ?', [flow, limit])
        : await sql.all<Row>('SELECT * FROM sync_runs ORDER BY seq DESC LIMIT ?', [limit]);
      return rows.map(toRecord);
    },
    consecutiveFailures: async (flow) =>
      (await sql.get<{ n: number }>(`
        SELECT COUNT(*) AS n FROM sync_runs
        WHERE flow = ? AND reverse = 0 AND status = 'failed'
          AND seq > COALESCE((SELECT MAX(seq) FROM sync_runs WHERE flow = ? AND reverse = 0 AND status = 'succeeded'), 0)`, [flow, flow]))!.n,
    async lastSuccess(flow) {
      const row = await sql.get<Row>("SELECT * FROM sync_runs WHERE flow = ? AND reverse = 0 AND status = 'succeeded' ORDER BY seq DESC LIMIT 1", [flow]);
      return row && toRecord(row);
    },
    // Queued runs are left as they are: they never began, and the leader still runs them.
    markInterrupted: () =>
      fenced(sql, fence, async (tx, epoch) => (await tx.run("UPDATE sync_runs SET status = 'interrupted', finished_at = ?, epoch = ? WHERE status = 'running'", [now().toISOString(), epoch])).changes),
  };
}
