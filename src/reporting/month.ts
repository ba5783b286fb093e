/** Calendar months in UTC, the unit of the monthly readiness report. */
import { UsageError } from '../core/errors.js';

export interface MonthWindow {
  /** `YYYY-MM` */
  month: string;
  /** First instant of the month. */
  start: Date;
  /** First instant of the next month. */
  end: Date;
}

export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** `YYYY-MM` → its window; a malformed month or one that has not begun is a usage error. */
export function monthWindow(month: string, now: Date): MonthWindow {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new UsageError(`the month must be written YYYY-MM (e.g. ${monthOf(now)}), not "${month}"`);
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  if (start > now) throw new UsageError(`the month ${month} has not begun yet`);
  const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
  return { month, start, end };
}

export function within(iso: string, window: MonthWindow): boolean {
  const t = Date.parse(iso);
  return t >= window.start.getTime() && t < window.end.getTime();
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export const dayOf = (iso: string): string => iso.slice(0, 10);
