/**
 * The store, on one of two engines behind one port. SQLite is the embedded default: one file,
 * one process (a file lock refuses a second). WAL lets the API read while a sync writes;
 * synchronous=FULL makes every committed write survive a power cut, which resumable runbooks
 * rely on. PostgreSQL is for replicas: they share it, and a lease says which one acts.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import { alertsTable } from './alerts.js';
import { auditLog } from './audit.js';
import { checksTable } from './checks.js';
import { contingenciesTable } from './contingencies.js';
import { SOLE_WRITER, type Fence } from './fence.js';
import { jobsTable } from './jobs.js';
import { Lease } from './lease.js';
import { messagesTable } from './messages.js';
import { migrate } from './migrations.js';
import { migratePostgres } from './postgres-schema.js';
import { postgresSql } from './postgres.js';
import { reportsTable } from './reports.js';
import { runsTable } from './runs.js';
import { lockStateDir, type StateDirLock } from './single-writer.js';
import { sqliteSql } from './sqlite.js';
import type { Sql } from './sql.js';
import { syncsTable } from './syncs.js';
import type { Store } from './types.js';

export type * from './types.js';
export { Lease } from './lease.js';
export { describeHolder, lockHolder } from './single-writer.js';

function tables(sql: Sql, now: () => Date, fence: Fence): Omit<Store, 'engine' | 'file' | 'close'> {
  return {
    ping: async () => void (await sql.get('SELECT 1 AS one')),
    checks: checksTable(sql),
    syncs: syncsTable(sql, now, fence),
    runs: runsTable(sql, now, fence),
    audit: auditLog(sql, now),
    reports: reportsTable(sql, now),
    jobs: jobsTable(sql, fence),
    messages: messagesTable(sql, now),
    alerts: alertsTable(sql, now, fence),
    contingencies: contingenciesTable(sql, now, fence),
  };
}

export interface SqliteOptions {
  clock?: Clock;
  /** Who opens it, in the words a second process is refused with (`drsentinel serve`). */
  writer?: string;
  /**
   * Reads only, beside whichever process holds the directory (WAL lets it): no lock, no
   * migration, and every write refused by SQLite itself. The file must exist.
   */
  readOnly?: boolean;
}

export type SqliteStore = Store & { lock?: StateDirLock };

export function openStore(file: string, opts: SqliteOptions = {}): SqliteStore {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const now = () => (opts.clock ?? systemClock).now();
  if (opts.readOnly) {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    return { engine: 'sqlite', file: path, close: async () => void db.close(), ...tables(sqliteSql(db), now, SOLE_WRITER) };
  }
  const lock = lockStateDir(dirname(path), opts.writer ?? 'a drsentinel process', now);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, path, now);
  } catch (err) {
    db.close();
    lock.release();
    throw err;
  }
  return {
    engine: 'sqlite',
    file: path,
    lock,
    async close() {
      db.close();
      lock.release();
    },
    ...tables(sqliteSql(db), now, SOLE_WRITER),
  };
}

export interface PostgresStoreOptions {
  url: string;
  clock?: Clock;
  /** This replica's name in the lease (unique per process). */
  holder: string;
  leaseSeconds: number;
  timeoutMs?: number;
  onError?: (err: Error) => void;
}

/** The URL fit to print: its password replaced. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres (an unparsable URL)';
  }
}

export async function openPostgresStore(o: PostgresStoreOptions): Promise<{ store: Store; lease: Lease }> {
  const now = () => (o.clock ?? systemClock).now();
  const sql = postgresSql({ url: o.url, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.onError ? { onError: o.onError } : {}) });
  const where = redactedUrl(o.url);
  try {
    await migratePostgres(sql, where, now);
  } catch (err) {
    await sql.end();
    throw err;
  }
  const lease = new Lease(sql, { holder: o.holder, seconds: o.leaseSeconds });
  return {
    lease,
    store: {
      engine: 'postgres',
      file: where,
      close: () => sql.end(),
      ...tables(sql, now, lease),
    },
  };
}
