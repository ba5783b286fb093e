/**
 * The embedded store: one SQLite file. WAL lets the API read while a sync writes;
 * synchronous=FULL makes every committed write survive a power cut, which resumable
 * runbooks rely on; busy_timeout lets a CLI command and the service share the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import { alertsTable } from './alerts.js';
import { auditLog } from './audit.js';
import { checksTable } from './checks.js';
import { contingenciesTable } from './contingencies.js';
import { jobsTable } from './jobs.js';
import { messagesTable } from './messages.js';
import { migrate } from './migrations.js';
import { reportsTable } from './reports.js';
import { runsTable } from './runs.js';
import { syncsTable } from './syncs.js';
import type { Store } from './types.js';

export type * from './types.js';

export function openStore(file: string, opts: { clock?: Clock } = {}): Store {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  const now = () => (opts.clock ?? systemClock).now();
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, path, now);
  } catch (err) {
    db.close();
    throw err;
  }
  const audit = auditLog(db, now);
  return {
    file: path,
    close: () => db.close(),
    checks: checksTable(db),
    syncs: syncsTable(db, now),
    runs: runsTable(db, now, audit),
    audit,
    reports: reportsTable(db, now),
    jobs: jobsTable(db),
    messages: messagesTable(db, now),
    alerts: alertsTable(db, now),
    contingencies: contingenciesTable(db, now),
  };
}
