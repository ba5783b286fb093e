/** Gathers the readiness rule's inputs from the store and config; the rule itself is pure. */
import type { Clock } from '../core/clock.js';
import type { Config } from '../config/schema.js';
import type { Store, SyncRunRecord } from '../store/types.js';
import type { SyncFlow } from '../core/flows.js';
import { SYNC_FLOWS } from '../core/flows.js';
import { assessReadiness, type Readiness } from './readiness.js';
import { estimatedRtoSeconds } from './rto.js';

export interface ReadinessSources {
  config: Config;
  store: Store;
  clock: Clock;
}

export async function currentReadiness({ config, store, clock }: ReadinessSources): Promise<Readiness> {
  const lastSuccesses = await Promise.all(SYNC_FLOWS.map(async (flow) => [flow, await store.syncs.lastSuccess(flow)] as const));
  const checks = await store.checks.latest();
  const rto = await estimatedRtoSeconds(store);
  const contingency = await store.contingencies.current();
  return assessReadiness({
    // Read after the store, so that nothing read is newer than the instant it is judged at.
    now: clock.now(),
    checks,
    lastSuccess: Object.fromEntries(lastSuccesses) as Record<SyncFlow, SyncRunRecord | undefined>,
    rpoHours: config.sync.rpoHours,
    probeEveryMinutes: config.checks.probeEveryMinutes,
    estimatedRtoSeconds: rto,
    contingency,
  });
}
