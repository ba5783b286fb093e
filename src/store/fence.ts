/**
 * Fencing: the state a leader writes (runs, steps, syncs, the scheduler's jobs) is written
 * only while that leader still holds the lease at the epoch it acts under. The check and the
 * write share one transaction, and the check locks the lease row for share, so no takeover
 * can fall between them.
 */
import type { Sql } from './sql.js';

export interface Fence {
  /** The epoch stamped on what this process writes; 0 when it is the only process. */
  epoch(): number;
  /** Inside `tx`: throws FencedError unless this process still holds the lease at `epoch()`. */
  check(tx: Sql): Promise<void>;
}

/** One process alone on its store (SQLite, held by a file lock): nothing to fence. */
export const SOLE_WRITER: Fence = { epoch: () => 0, check: async () => undefined };

/** `write` in one transaction behind the fence. */
export function fenced<T>(sql: Sql, fence: Fence, write: (tx: Sql, epoch: number) => Promise<T>): Promise<T> {
  return sql.transaction(async (tx) => {
    await fence.check(tx);
    return write(tx, fence.epoch());
  });
}
