/**
 * R4's notion of a failed sync day: a UTC day on which no forward run of the flow succeeded,
 * whether its run failed, hung or never started. Days count from the flow's first run (a
 * fresh install has missed nothing). The day in progress counts as failed only once a run
 * has failed on it (its run may still come), and as good as soon as one succeeds: one
 * success makes the whole day good.
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
}

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** The UTC day `offset` days from `day` (a `YYYY-MM-DD`). */
export function shiftUtcDay(day: string, offset: number): string {
  const at = new Date(`${day}T00:00:00Z`);
  return utcDay(new Date(at.getTime() + offset * 86_400_000));
}

/** The last whole UTC day before `now`. */
export const previousUtcDay = (now: Date): string => shiftUtcDay(utcDay(now), -1);

/** Whether a whole day failed; undefined before the first day, when nothing was due. */
export function dayFailed(history: SyncHistory, day: string): boolean | undefined {
  if (day < history.firstDay) return undefined;
  return !history.days.some((d) => d.day === day && d.succeeded > 0);
}

/** The failed days up to `now` since the last good one, or undefined when the newest counted day is good. */
export function failedStreak(history: SyncHistory, now: Date): FailedStreak | undefined {
  const today = history.days.find((d) => d.day === utcDay(now));
  if (today && today.succeeded > 0) return undefined;
  const failed: string[] = [];
  let day = today && today.failed > 0 ? today.day : previousUtcDay(now);
  while (dayFailed(history, day)) {
    failed.push(day);
    day = shiftUtcDay(day, -1);
  }
  return failed.length > 0 ? { start: failed.at(-1)!, days: failed.reverse() } : undefined;
}
