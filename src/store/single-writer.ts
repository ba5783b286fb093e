/**
 * One process at a time on a state directory. The embedded store is single-writer on purpose:
 * two processes on one SQLite file would each resume the other's runs and repeat its acts.
 *
 * The lock is an OS file lock (POSIX `fcntl`, through SQLite's exclusive locking mode on a file
 * of its own): held for the life of the process, let go by the kernel when the process dies,
 * however it dies, so a crash never leaves a stale lock behind. Who holds it is written next to
 * it, so that the process refused can name the one that runs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError } from '../core/errors.js';

export interface Holder {
  /** What holds it, in a person's words: `drsentinel serve`, `drsentinel sync`. */
  what: string;
  pid: number;
  host: string;
  since: string;
  /** The API of the service holding it, once it listens. */
  api?: string;
}

export interface StateDirLock {
  /** Adds what the refused would need to know (the service's API) to the holder's note. */
  describe(extra: Pick<Holder, 'api'>): void;
  release(): void;
}

const LOCK_FILE = 'drsentinel.lock';
const HOLDER_FILE = 'drsentinel.lock.json';

/** Who holds the lock on `dir`, as last written; undefined when nobody ever said. */
export function lockHolder(dir: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: Holder | undefined): string {
  if (!h) return 'another drsentinel process';
  return `${h.what} (pid ${h.pid} on ${h.host}, since ${h.since}${h.api ? `, API ${h.api}` : ''})`;
}

/** Takes the lock on `dir` or throws a ConflictError naming the process that holds it. */
export function lockStateDir(dir: string, what: string, now: () => Date): StateDirLock {
  const db = new Database(join(dir, LOCK_FILE));
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write under exclusive locking mode takes the lock and keeps it until close.
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const holder = lockHolder(dir);
    const api = holder?.api ? ` Run syncs and checks through its API instead (${holder.api}/api/v1/…), or stop it first.` : ' Stop it first, or run this through its API.';
    throw new ConflictError(`the state directory ${dir} is in use by ${describeHolder(holder)}: one drsentinel process at a time on a state directory.${api}`);
  }
  let holder: Holder = { what, pid: process.pid, host: hostname(), since: now().toISOString() };
  const write = () => writeFileSync(join(dir, HOLDER_FILE), `${JSON.stringify(holder, null, 2)}\n`);
  write();
  return {
    describe(extra) {
      holder = { ...holder, ...extra };
      write();
    },
    release() {
      rmSync(join(dir, HOLDER_FILE), { force: true });
      db.close();
    },
  };
}
