/** The contingencies, one row each: who began it, when, and what ended it. */
import type Database from 'better-sqlite3';
import type { ContingencyRecord, Store } from './types.js';

interface Row {
  run_id: string;
  runbook: string;
  began_at: string;
  ended_at: string | null;
  ended_by: string | null;
}

const toRecord = (r: Row): ContingencyRecord => ({
  runId: r.run_id, runbook: r.runbook, since: r.began_at,
  ...(r.ended_at ? { endedAt: r.ended_at } : {}), ...(r.ended_by ? { endedBy: r.ended_by } : {}),
});

export function contingenciesTable(db: Database.Database, now: () => Date): Store['contingencies'] {
  // A run whose cutback is undone holds its contingency again, from its first start.
  const insert = db.prepare('INSERT INTO contingencies (run_id, runbook, began_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET ended_at = NULL, ended_by = NULL');
  const byRun = db.prepare<[string], Row>('SELECT * FROM contingencies WHERE run_id = ?');
  const open = db.prepare<[], Row>('SELECT * FROM contingencies WHERE ended_at IS NULL ORDER BY seq DESC LIMIT 1');
  const newest = db.prepare<[], Row>('SELECT * FROM contingencies ORDER BY seq DESC LIMIT 1');
  const close = db.prepare('UPDATE contingencies SET ended_at = ?, ended_by = ? WHERE ended_at IS NULL');
  const current = () => {
    const row = open.get();
    return row ? toRecord(row) : undefined;
  };
  return {
    begin(runId, runbook) {
      insert.run(runId, runbook, now().toISOString());
      return toRecord(byRun.get(runId)!);
    },
    end: db.transaction((endedBy: string) => {
      const was = current();
      if (!was) return undefined;
      const at = now().toISOString();
      close.run(at, endedBy);
      return { ...was, endedAt: at, endedBy };
    }),
    current,
    latest() {
      const row = newest.get();
      return row ? toRecord(row) : undefined;
    },
  };
}
