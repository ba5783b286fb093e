/**
 * When scheduled jobs are due. Pure functions of UTC time, no timers.
 *
 * "First Monday of the month" is the Monday that falls on day 1–7. Cron cannot say it:
 * `0 9 1-7 * 1` means "day 1–7 OR any Monday" in classic cron.
 * `every` runs on a grid of N minutes counted from the Unix epoch, so restarts do not shift it.
 */
import { UsageError } from '../core/errors.js';

export type Schedule = { kind: 'daily'; at: string } | { kind: 'first-monday'; at: string } | { kind: 'every'; minutes: number };

const DAY_MS = 86_400_000;

function timeOfDay(at: string): { hours: number; minutes: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at);
  if (!match) throw new UsageError(`schedule time "${at}" is not HH:MM (UTC)`);
  return { hours: Number(match[1]), minutes: Number(match[2]) };
}

function everyMs(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 1) throw new UsageError(`schedule interval ${minutes} must be a whole number of minutes ≥ 1`);
  return minutes * 60_000;
}

function dailyAt(year: number, month: number, day: number, at: string): Date {
  const { hours, minutes } = timeOfDay(at);
  return new Date(Date.UTC(year, month, day, hours, minutes));
}

/** The first Monday of a month (month 0-based; Date.UTC normalises month overflow). */
function firstMondayAt(year: number, month: number, at: string): Date {
  const weekdayOfFirst = new Date(Date.UTC(year, month, 1)).getUTCDay();
  const day = 1 + ((8 - weekdayOfFirst) % 7);
  return dailyAt(year, month, day, at);
}

/** The first run strictly after `after`. */
export function nextRun(schedule: Schedule, after: Date): Date {
  const y = after.getUTCFullYear();
  const m = after.getUTCMonth();
  const d = after.getUTCDate();
  switch (schedule.kind) {
    case 'daily': {
      const today = dailyAt(y, m, d, schedule.at);
      return today > after ? today : new Date(today.getTime() + DAY_MS);
    }
    case 'first-monday': {
      const thisMonth = firstMondayAt(y, m, schedule.at);
      return thisMonth > after ? thisMonth : firstMondayAt(y, m + 1, schedule.at);
    }
    case 'every': {
      const step = everyMs(schedule.minutes);
      return new Date((Math.floor(after.getTime() / step) + 1) * step);
    }
  }
}

/** The latest run at or before `atOrBefore`; every schedule here has one. */
export function previousRun(schedule: Schedule, atOrBefore: Date): Date | undefined {
  const y = atOrBefore.getUTCFullYear();
  const m = atOrBefore.getUTCMonth();
  const d = atOrBefore.getUTCDate();
  switch (schedule.kind) {
    case 'daily': {
      const today = dailyAt(y, m, d, schedule.at);
      return today <= atOrBefore ? today : new Date(today.getTime() - DAY_MS);
    }
    case 'first-monday': {
      const thisMonth = firstMondayAt(y, m, schedule.at);
      return thisMonth <= atOrBefore ? thisMonth : firstMondayAt(y, m - 1, schedule.at);
    }
    case 'every': {
      const step = everyMs(schedule.minutes);
      return new Date(Math.floor(atOrBefore.getTime() / step) * step);
    }
  }
}

export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'daily':
      return `daily at ${schedule.at} UTC`;
    case 'first-monday':
      return `on the first Monday of each month at ${schedule.at} UTC`;
    case 'every':
      return `every ${schedule.minutes} minute${schedule.minutes === 1 ? '' : 's'}`;
  }
}
