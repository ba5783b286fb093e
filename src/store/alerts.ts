/** The R4 sync alerts: one row per streak of failed days, with where its messages went. */
import { NotFoundError } from '../core/errors.js';
import { fenced, type Fence } from './fence.js';
import type { Sql } from './sql.js';
import type { Store, SyncAlertRecord, SyncDay } from './types.js';
import type { SyncFlow } from '../core/flows.js';

interface Row {
  flow: SyncFlow;
  streak_start: string;
  failure_class: string;
  failed_days: string;
  last_error: string;
  alerted_at: string;
  alert_sent_to: string;
  recovered_at: string | null;
  recovery_sent_to: string;
}

function toRecord(row: Row): SyncAlertRecord {
  return {
    flow: row.flow,
    streakStart: row.streak_start,
    failureClass: row.failure_class,
    failedDays: JSON.parse(row.failed_days) as string[],
    lastError: row.last_error,
    alertedAt: row.alerted_at,
    alertSentTo: JSON.parse(row.alert_sent_to) as string[],
    ...(row.recovered_at ? { recoveredAt: row.recovered_at } : {}),
    recoverySentTo: JSON.parse(row.recovery_sent_to) as string[],
  };
}

export function alertsTable(sql: Sql, now: () => Date, fence: Fence): Store['alerts'] {
  const get = (db: Sql, flow: SyncFlow, streakStart: string) => db.get<Row>('SELECT * FROM sync_alerts WHERE flow = ? AND streak_start = ?', [flow, streakStart]);
  const sentColumn = { alert: 'alert_sent_to', recovery: 'recovery_sent_to' } as const;
  return {
    // Raised by the leader alone: a replica that lost the lease sends no second alert.
    open: (alert) =>
      fenced(sql, fence, async (tx) =>
        (await tx.run(`
          INSERT INTO sync_alerts (flow, streak_start, failure_class, failed_days, last_error, alerted_at)
          VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (flow, streak_start) DO NOTHING`,
        [alert.flow, alert.streakStart, alert.failureClass, JSON.stringify(alert.failedDays), alert.lastError, now().toISOString()])).changes === 1),
    recover: (flow, streakStart) =>
      fenced(sql, fence, async (tx) =>
        (await tx.run('UPDATE sync_alerts SET recovered_at = ? WHERE flow = ? AND streak_start = ? AND recovered_at IS NULL', [now().toISOString(), flow, streakStart])).changes === 1),
    markSent: (flow, streakStart, kind, channel) =>
      fenced(sql, fence, async (tx) => {
        const row = await get(tx, flow, streakStart);
        if (!row) throw new NotFoundError(`no ${flow} sync alert for the streak that began ${streakStart}`);
        const record = toRecord(row);
        const sent = kind === 'alert' ? record.alertSentTo : record.recoverySentTo;
        if (!sent.includes(channel)) {
          await tx.run(`UPDATE sync_alerts SET ${sentColumn[kind]} = ? WHERE flow = ? AND streak_start = ?`, [JSON.stringify([...sent, channel]), flow, streakStart]);
        }
      }),
    async get(flow, streakStart) {
      const row = await get(sql, flow, streakStart);
      return row && toRecord(row);
    },
    async list(limit, flow) {
      const rows = flow
        ? await sql.all<Row>('SELECT * FROM sync_alerts WHERE flow = ? ORDER BY seq DESC LIMIT ?', [flow, limit])
        : await sql.all<Row>('SELECT * FROM sync_alerts ORDER BY seq DESC LIMIT ?', [limit]);
      return rows.map(toRecord);
    },
    // started_at is an ISO instant in UTC, so its first ten characters are the UTC day.
    syncDays: (flow, limit) =>
      sql.all<SyncDay>(`
        SELECT substr(started_at, 1, 10) AS day,
               SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS succeeded,
               SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed
        FROM sync_runs
        WHERE flow = ? AND reverse = 0 AND status IN ('succeeded', 'failed')
        GROUP BY substr(started_at, 1, 10) ORDER BY day DESC LIMIT ?`, [flow, limit]),
  };
}
