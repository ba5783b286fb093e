/** The contingencies, one row each: who began it, when, and what ended it. */
import { fenced, type Fence } from './fence.js';
import type { Sql } from './sql.js';
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

export function contingenciesTable(sql: Sql, now: () => Date, fence: Fence): Store['contingencies'] {
  const current = async (db: Sql) => {
    const row = await db.get<Row>('SELECT * FROM contingencies WHERE ended_at IS NULL ORDER BY seq DESC LIMIT 1');
    return row ? toRecord(row) : undefined;
  };
  return {
    // A run whose cutback is undone holds its contingency again, from its first start.
    begin: (runId, runbook) =>
      fenced(sql, fence, async (tx) => {
        await tx.run('INSERT INTO contingencies (run_id, runbook, began_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET ended_at = NULL, ended_by = NULL', [runId, runbook, now().toISOString()]);
        return toRecord((await tx.get<Row>('SELECT * FROM contingencies WHERE run_id = ?', [runId]))!);
      }),
    end: (endedBy) =>
      fenced(sql, fence, async (tx) => {
        const was = await current(tx);
        if (!was) return undefined;
        const at = now().toISOString();
        await tx.run('UPDATE contingencies SET ended_at = ?, ended_by = ? WHERE ended_at IS NULL', [at, endedBy]);
        return { ...was, endedAt: at, endedBy };
      }),
    current: () => current(sql),
    async latest() {
      const row = await sql.get<Row>('SELECT * FROM contingencies ORDER BY seq DESC LIMIT 1');
      return row ? toRecord(row) : undefined;
    },
  };
}
