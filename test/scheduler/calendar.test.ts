import t from 'tap';
import { nextRun, previousRun, type Schedule } from '../../src/scheduler/calendar.js';

const at = (iso: string) => new Date(iso);
const firstMonday: Schedule = { kind: 'first-monday', at: '09:00' };

t.test('first Mondays of known months', async (t) => {
  const expected = ['2026-01-05', '2026-02-02', '2026-03-02', '2026-04-06', '2026-05-04', '2026-06-01', '2026-07-06', '2026-08-03', '2026-09-07', '2026-10-05', '2026-11-02', '2026-12-07', '2027-01-04', '2027-02-01', '2027-03-01'];
  const seen: string[] = [];
  let cursor = at('2025-12-31T23:59:00Z');
  for (let i = 0; i < expected.length; i++) {
    cursor = nextRun(firstMonday, cursor);
    seen.push(cursor.toISOString());
  }
  t.same(seen, expected.map((d) => `${d}T09:00:00.000Z`));
  for (const iso of seen) t.equal(new Date(iso).getUTCDay(), 1, `${iso} is a Monday`);
});

t.test('a Monday the 8th is never a first Monday', async (t) => {
  // June 2026 starts on a Monday, so Monday 8 June is the second one; the day before, nothing is due until July.
  t.same(nextRun(firstMonday, at('2026-06-07T12:00:00Z')), at('2026-07-06T09:00:00Z'));
  t.same(previousRun(firstMonday, at('2026-06-08T10:00:00Z')), at('2026-06-01T09:00:00Z'));
  // Days 1–7 that are not Mondays are not due either.
  t.same(nextRun(firstMonday, at('2026-08-31T09:00:00Z')), at('2026-09-07T09:00:00Z'));
});

t.test('across a year boundary, and exactly at the time', async (t) => {
  t.same(nextRun(firstMonday, at('2026-12-07T09:00:00Z')), at('2027-01-04T09:00:00Z'), 'exactly at the time: the following one');
  t.same(nextRun(firstMonday, at('2026-12-07T08:59:59.999Z')), at('2026-12-07T09:00:00Z'));
  t.same(nextRun(firstMonday, at('2026-12-07T09:00:00.001Z')), at('2027-01-04T09:00:00Z'));
  t.same(previousRun(firstMonday, at('2026-12-07T09:00:00Z')), at('2026-12-07T09:00:00Z'), 'at or before includes the instant');
  t.same(previousRun(firstMonday, at('2027-01-04T08:59:00Z')), at('2026-12-07T09:00:00Z'));
  t.same(previousRun(firstMonday, at('2027-01-01T00:00:00Z')), at('2026-12-07T09:00:00Z'));
});

t.test('leap year February 2028', async (t) => {
  t.same(nextRun(firstMonday, at('2028-01-31T00:00:00Z')), at('2028-02-07T09:00:00Z'));
  t.same(nextRun(firstMonday, at('2028-02-07T09:00:00Z')), at('2028-03-06T09:00:00Z'));
  const daily: Schedule = { kind: 'daily', at: '03:00' };
  t.same(nextRun(daily, at('2028-02-28T03:00:00Z')), at('2028-02-29T03:00:00Z'));
  t.same(nextRun(daily, at('2028-02-29T03:00:00Z')), at('2028-03-01T03:00:00Z'));
  t.same(nextRun(daily, at('2027-02-28T03:00:00Z')), at('2027-03-01T03:00:00Z'), 'no 29th in 2027');
  t.same(previousRun(daily, at('2028-03-01T02:00:00Z')), at('2028-02-29T03:00:00Z'));
});

t.test('daily', async (t) => {
  const daily: Schedule = { kind: 'daily', at: '03:00' };
  t.same(nextRun(daily, at('2026-03-02T02:59:00Z')), at('2026-03-02T03:00:00Z'));
  t.same(nextRun(daily, at('2026-03-02T03:00:00Z')), at('2026-03-03T03:00:00Z'));
  t.same(nextRun(daily, at('2026-12-31T23:00:00Z')), at('2027-01-01T03:00:00Z'));
  t.same(previousRun(daily, at('2026-03-02T02:59:00Z')), at('2026-03-01T03:00:00Z'));
  t.same(previousRun(daily, at('2026-03-02T03:00:00Z')), at('2026-03-02T03:00:00Z'));
  t.same(nextRun({ kind: 'daily', at: '23:59' }, at('2026-03-02T23:59:30Z')), at('2026-03-03T23:59:00Z'));
});

t.test('every N minutes, on a grid', async (t) => {
  const five: Schedule = { kind: 'every', minutes: 5 };
  t.same(nextRun(five, at('2026-03-02T10:02:10Z')), at('2026-03-02T10:05:00Z'));
  t.same(nextRun(five, at('2026-03-02T10:05:00Z')), at('2026-03-02T10:10:00Z'));
  t.same(nextRun(five, at('2026-12-31T23:58:00Z')), at('2027-01-01T00:00:00Z'));
  t.same(previousRun(five, at('2026-03-02T10:04:59Z')), at('2026-03-02T10:00:00Z'));
  t.same(previousRun(five, at('2026-03-02T10:05:00Z')), at('2026-03-02T10:05:00Z'));
});

t.test('bad schedules are refused', async (t) => {
  t.throws(() => nextRun({ kind: 'daily', at: '24:00' }, new Date()), { name: 'UsageError' });
  t.throws(() => nextRun({ kind: 'every', minutes: 0 }, new Date()), { name: 'UsageError' });
  t.throws(() => previousRun({ kind: 'every', minutes: 1.5 }, new Date()), { name: 'UsageError' });
});
