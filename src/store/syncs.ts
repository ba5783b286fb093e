/** Sync runs, forward and reverse; the forward ones feed RPO and the failure alert. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { NotFoundError } from '../core/errors.js';
import type { Store, SyncFlow, SyncRunRecord, SyncStatus } from './types.js';

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
    summary: JSON.parse(row.summary) as Record<string, unknown>,
    ...(row.verified_through ? { verifiedThrough: row.verified_through } : {}),
  };
}

export function syncsTable(db: Database.Database, now: () => Date): Store['syncs'] {
  const insert = db.prepare("INSERT INTO sync_runs (id, flow, reverse, status, started_at, summary) VALUES (?, ?, ?, 'running', ?, '{}')");
  const update = db.prepare('UPDATE sync_runs SET summary = ? WHERE id = ?');
  const finish = db.prepare('UPDATE sync_runs SET status = ?, finished_at = ?, summary = ?, verified_through = ? WHERE id = ?');
  const get = db.prepare<[string], Row>('SELECT * FROM sync_runs WHERE id = ?');
  const list = db.prepare<[number], Row>('SELECT * FROM sync_runs ORDER BY seq DESC LIMIT ?');
  const listFlow = db.prepare<[SyncFlow, number], Row>('SELECT * FROM sync_runs WHERE flow = ? ORDER BY seq DESC LIMIT ?');
  const lastSuccess = db.prepare<[SyncFlow], Row>(
    "SELECT * FROM sync_runs WHERE flow = ? AND reverse = 0 AND status = 'succeeded' ORDER BY seq DESC LIMIT 1",
  );
  const failuresSinceSuccess = db.prepare<[SyncFlow, SyncFlow], { n: number }>(`
    SELECT COUNT(*) AS n FROM sync_runs
    WHERE flow = ? AND reverse = 0 AND status = 'failed'
      AND seq > COALESCE((SELECT MAX(seq) FROM sync_runs WHERE flow = ? AND reverse = 0 AND status = 'succeeded'), 0)`);
  const markInterrupted = db.prepare("UPDATE sync_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'");

  const mustChange = (changes: number, id: string) => {
    if (changes === 0) throw new NotFoundError(`sync run ${id} does not exist`);
  };
  return {
    start(flow, reverse) {
      const id = randomUUID();
      insert.run(id, flow, reverse ? 1 : 0, now().toISOString());
      return toRecord(get.get(id)!);
    },
    update(id, summary) {
      mustChange(update.run(JSON.stringify(summary), id).changes, id);
    },
    finish(id, status, summary, verifiedThrough) {
      mustChange(finish.run(status, now().toISOString(), JSON.stringify(summary), verifiedThrough ?? null, id).changes, id);
    },
    get(id) {
      const row = get.get(id);
      return row && toRecord(row);
    },
    list: (limit, flow) => (flow ? listFlow.all(flow, limit) : list.all(limit)).map(toRecord),
    consecutiveFailures: (flow) => failuresSinceSuccess.get(flow, flow)!.n,
    lastSuccess(flow) {
      const row = lastSuccess.get(flow);
      return row && toRecord(row);
    },
    markInterrupted: () => markInterrupted.run(now().toISOString()).changes,
  };
}
