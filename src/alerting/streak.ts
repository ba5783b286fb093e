/**
 * R4's notion of a failed sync day: a UTC day on which the flow's forward runs ended and none
 * succeeded. A day without runs neither ends nor extends a streak (a stopped scheduler is the
 * RPO alert's business); one success makes the whole day good.
 */
import type { SyncDay } from '../store/types.js';

export interface FailedStreak {
  /** The first failed day, `YYYY-MM-DD`. */
  start: string;
  /** Every failed day of the streak, oldest first. */
  days: string[];
}

/** The failed days since the last good one; `days` is newest first. */
export function failedStreak(days: readonly SyncDay[]): FailedStreak | undefined {
  const failed: string[] = [];
  for (const d of days) {
    if (d.succeeded > 0) break;
    failed.push(d.day);
  }
  return failed.length > 0 ? { start: failed.at(-1)!, days: failed.reverse() } : undefined;
}

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** The last whole UTC day before `now`. */
export function previousUtcDay(now: Date): string {
  return utcDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)));
}
