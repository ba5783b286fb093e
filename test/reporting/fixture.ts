/**
 * A store holding March 2026 as the monthly report sees it, at 2026-03-20 12:00 UTC:
 * - static-site, conversion-function pass; cosmos fails at 09:00 and its re-test at 11:00
 *   passes (fixed the same day); scale-set fails on the 2nd, is not re-tested that day and
 *   passes on the 3rd (escalated); app-gateway fails twice on the 2nd (re-test failed,
 *   escalated) with a reason that carries markup; certificate passes on the 2nd and fails
 *   today (open); dns-standby ran only in February (not run).
 * - site syncs daily on the 1st–19th (failing on the 2nd), uploads never, metadata once.
 */
import type { Test } from 'tap';
import type { Result, Status } from '../../src/core/result.js';
import type { Store } from '../../src/store/types.js';
import type { SyncFlow } from '../../src/core/flows.js';
import { ManualClock, tempStore } from '../store/temp-store.js';

export const NOW = '2026-03-20T12:00:00.000Z';
export const MARKUP_REASON = 'the gateway is Stopped <script>alert("x")</script> & cannot serve';

function result(status: Status, startedAt: string, reason: string, evidence: Record<string, unknown> = {}): Result {
  return { status, reason, evidence, measurements: {}, startedAt, durationMs: 120 };
}

async function recordChecks(store: Store): Promise<void> {
  const r = (check: string, status: Status, at: string, reason = `${check} ${status}`, evidence: Record<string, unknown> = {}) =>
    store.checks.record('monthly', check, result(status, at, reason, evidence));
  await r('dns-standby', 'pass', '2026-02-02T09:00:00.000Z');
  await r('certificate', 'fail', '2026-02-02T09:00:00.000Z', 'expires in 3 days');
  await r('static-site', 'pass', '2026-03-02T09:00:00.000Z', 'index.html answered 200', { url: 'http://127.0.0.1:10080/index.html', status: 200 });
  await r('conversion-function', 'pass', '2026-03-02T09:00:01.000Z');
  await r('cosmos', 'fail', '2026-03-02T09:00:02.000Z', 'writes are denied on container images');
  await r('cosmos', 'pass', '2026-03-02T11:00:00.000Z', 'probe document written, read back and deleted');
  await r('scale-set', 'fail', '2026-03-02T09:00:03.000Z', 'the scale set drsentinel-api has capacity 1; the warm standby needs 0', { capacity: 1 });
  await r('scale-set', 'pass', '2026-03-03T09:00:00.000Z', 'capacity 0, provisioning Succeeded');
  await r('app-gateway', 'fail', '2026-03-02T09:00:04.000Z', MARKUP_REASON, { operationalState: 'Stopped' });
  await r('app-gateway', 'fail', '2026-03-02T15:00:00.000Z', MARKUP_REASON, { operationalState: 'Stopped' });
  await r('certificate', 'pass', '2026-03-02T09:00:05.000Z', 'valid for 80 days');
  await r('certificate', 'fail', '2026-03-20T10:00:00.000Z', 'the certificate wildcard expires in 10 days; it must be valid for more than 30');
}

async function syncRun(store: Store, clock: ManualClock, flow: SyncFlow, startedAt: string, ok: boolean, verifiedThrough?: string, reverse = false): Promise<void> {
  clock.current = new Date(startedAt);
  const run = await store.syncs.start(flow, reverse);
  clock.advance(10 * 60_000);
  await store.syncs.finish(run.id, ok ? 'succeeded' : 'failed', ok ? {} : { failureClass: 'network' }, verifiedThrough);
}

async function recordSyncs(store: Store, clock: ManualClock): Promise<void> {
  await syncRun(store, clock, 'site', '2026-02-28T03:00:00.000Z', true);
  for (let day = 1; day <= 19; day++) await syncRun(store, clock, 'site', `2026-03-${String(day).padStart(2, '0')}T03:00:00.000Z`, day !== 2);
  await syncRun(store, clock, 'site', '2026-03-19T20:00:00.000Z', true, undefined, true);
  await syncRun(store, clock, 'metadata', '2026-03-10T03:00:00.000Z', true, '2026-03-10T02:00:00.000Z');
}

/** Records the month into `store`, whose clock is `clock`; leaves the clock at NOW. */
export async function fillMarch(store: Store, clock: ManualClock): Promise<void> {
  await recordChecks(store);
  await recordSyncs(store, clock);
  clock.current = new Date(NOW);
}

export async function marchStore(t: Test): Promise<{ store: Store; clock: ManualClock }> {
  const { store, clock } = tempStore(t);
  await fillMarch(store, clock);
  return { store, clock };
}
