/**
 * R4's notion of a failed sync day: a UTC day on which no forward run of the flow succeeded,
 * whether its run failed, hung or never started. Days count from the flow's first run (a
 * fresh install has missed nothing). The day in progress counts as failed only once a run
 * has failed on it (its run may still come), and as good as soon as one succeeds: one
 * success makes the whole day good.
 *
 * A day during which a contingency was open is neither good nor failed: the forward syncs are
 * held on purpose while the standby serves, so without a success it is passed over, and a
 * failover of any length raises no alert. A streak begun before it goes on after it: the
 * standby has been behind since.
 */
import type { SyncDay } from '../store/types.js';

export interface FailedStreak {
  /** The first failed day, `YYYY-MM-DD`. */
  start: string;
  /** Every failed day of the streak, oldest first. */
  days: string[];
}

/** What a flow's days are judged on. */
export interface SyncHistory {
  /** Days with finished forward runs, newest first (store.alerts.syncDays). */
  days: readonly SyncDay[];
  /** The first day that can fail, `YYYY-MM-DD`. */
  firstDay: string;
  /** Contingencies: ISO instants, `endedAt` absent while one is open. */
  held?: readonly { since: string; endedAt?: string }[];
}

type Verdict = 'good' | 'failed' | 'held' | 'not-due';

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** The UTC day `offset` days from `day` (a `YYYY-MM-DD`). */
export function shiftUtcDay(day: string, offset: number): string {
  const at = new Date(`${day}T00:00:00Z`);
  return utcDay(new Date(at.getTime() + offset * 86_400_000));
}

/** The last whole UTC day before `now`. */
export const previousUtcDay = (now: Date): string => shiftUtcDay(utcDay(now), -1);

/** Whether a contingency was open at some time of the UTC day. */
function heldOn(history: SyncHistory, day: string): boolean {
  const start = new Date(`${day}T00:00:00Z`).getTime();
  const end = start + 86_400_000;
  return (history.held ?? []).some((c) => Date.parse(c.since) < end && (c.endedAt === undefined || Date.parse(c.endedAt) > start));
}

function judge(history: SyncHistory, day: string): Verdict {
  if (day < history.firstDay) return 'not-due';
  if (history.days.some((d) => d.day === day && d.succeeded > 0)) return 'good';
  return heldOn(history, day) ? 'held' : 'failed';
}

/** Whether a whole day failed; undefined when nothing was due: before the first day, or while a contingency held the syncs. */
export function dayFailed(history: SyncHistory, day: string): boolean | undefined {
  const verdict = judge(history, day);
  return verdict === 'failed' ? true : verdict === 'good' ? false : undefined;
}

/** The failed days up to `now` since the last good one, or undefined when the newest counted day is good. */
export function failedStreak(history: SyncHistory, now: Date): FailedStreak | undefined {
  const today = history.days.find((d) => d.day === utcDay(now));
  if (today && today.succeeded > 0) return undefined;
  const failed: string[] = [];
  // Back to a good day, or at the latest to the day before the first (not due).
  for (let day = today && today.failed > 0 ? today.day : previousUtcDay(now); ; day = shiftUtcDay(day, -1)) {
    const verdict = judge(history, day);
    if (verdict === 'failed') failed.push(day);
    else if (verdict !== 'held') break;
  }
  return failed.length > 0 ? { start: failed.at(-1)!, days: failed.reverse() } : undefined;
}
