/** Gathers the readiness rule's inputs from the store and config; the rule itself is pure. */
import type { Clock } from '../../core/clock.js';
import type { Config } from '../../config/schema.js';
import { assessReadiness, type Readiness } from '../../checks/readiness.js';
import type { Store, SyncFlow, SyncRunRecord } from '../../store/types.js';
import { SYNC_FLOWS } from '../../metrics.js';
import { estimatedRtoSeconds } from '../../runbooks/rto.js';

export interface ReadinessSources {
  config: Config;
  store: Store;
  clock: Clock;
}

export function currentReadiness({ config, store, clock }: ReadinessSources): Readiness {
  const lastSuccess = Object.fromEntries(SYNC_FLOWS.map((flow) => [flow, store.syncs.lastSuccess(flow)])) as Record<SyncFlow, SyncRunRecord | undefined>;
  return assessReadiness({
    now: clock.now(),
    checks: store.checks.latest(),
    lastSuccess,
    rpoHours: config.sync.rpoHours,
    probeEveryMinutes: config.checks.probeEveryMinutes,
    estimatedRtoSeconds: estimatedRtoSeconds(store),
    contingency: store.contingencies.current(),
  });
}
