/** The R4 sync alerts: one row per streak of failed days, with where its messages went. */
import type Database from 'better-sqlite3';
import { NotFoundError } from '../core/errors.js';
import type { Store, SyncAlertRecord, SyncDay, SyncFlow } from './types.js';

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

export function alertsTable(db: Database.Database, now: () => Date): Store['alerts'] {
  const insert = db.prepare(`
    INSERT INTO sync_alerts (flow, streak_start, failure_class, failed_days, last_error, alerted_at)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (flow, streak_start) DO NOTHING`);
  const recover = db.prepare('UPDATE sync_alerts SET recovered_at = ? WHERE flow = ? AND streak_start = ? AND recovered_at IS NULL');
  const get = db.prepare<[SyncFlow, string], Row>('SELECT * FROM sync_alerts WHERE flow = ? AND streak_start = ?');
  const list = db.prepare<[number], Row>('SELECT * FROM sync_alerts ORDER BY seq DESC LIMIT ?');
  const listFlow = db.prepare<[SyncFlow, number], Row>('SELECT * FROM sync_alerts WHERE flow = ? ORDER BY seq DESC LIMIT ?');
  // started_at is an ISO instant in UTC, so its first ten characters are the UTC day.
  const syncDays = db.prepare<[SyncFlow, number], SyncDay>(`
    SELECT substr(started_at, 1, 10) AS day,
           SUM(status = 'succeeded') AS succeeded,
           SUM(status = 'failed') AS failed
    FROM sync_runs
    WHERE flow = ? AND reverse = 0 AND status IN ('succeeded', 'failed')
    GROUP BY day ORDER BY day DESC LIMIT ?`);
  const setSent = {
    alert: db.prepare('UPDATE sync_alerts SET alert_sent_to = ? WHERE flow = ? AND streak_start = ?'),
    recovery: db.prepare('UPDATE sync_alerts SET recovery_sent_to = ? WHERE flow = ? AND streak_start = ?'),
  };

  const mustGet = (flow: SyncFlow, streakStart: string) => {
    const row = get.get(flow, streakStart);
    if (!row) throw new NotFoundError(`no ${flow} sync alert for the streak that began ${streakStart}`);
    return toRecord(row);
  };
  return {
    open(alert) {
      return insert.run(alert.flow, alert.streakStart, alert.failureClass, JSON.stringify(alert.failedDays), alert.lastError, now().toISOString()).changes === 1;
    },
    recover(flow, streakStart) {
      return recover.run(now().toISOString(), flow, streakStart).changes === 1;
    },
    markSent: db.transaction((flow: SyncFlow, streakStart: string, kind: 'alert' | 'recovery', channel: string) => {
      const record = mustGet(flow, streakStart);
      const sent = kind === 'alert' ? record.alertSentTo : record.recoverySentTo;
      if (!sent.includes(channel)) setSent[kind].run(JSON.stringify([...sent, channel]), flow, streakStart);
    }),
    get(flow, streakStart) {
      const row = get.get(flow, streakStart);
      return row && toRecord(row);
    },
    list: (limit, flow) => (flow ? listFlow.all(flow, limit) : list.all(limit)).map(toRecord),
    syncDays: (flow, limit) => syncDays.all(flow, limit),
  };
}
