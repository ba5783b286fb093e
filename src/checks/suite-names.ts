/**
 * The suites and when each runs. Kept apart from the registry (suites.ts) so the readiness
 * rule can ask how stale a suite may get without loading every probe.
 *
 *   monthly        R5, the seven checks of the runbook: first Monday of the month, and on demand.
 *   standby        the checks that only read and hold for a healthy WARM standby (site answers,
 *                  standby record, uploads container…): every `checks.probeEveryMinutes`.
 *   smoke          R10 } validation after an activation (or in a game-day drill): they fail on
 *   e2e            R11 } purpose while the standby is warm (no API instance, DNS still on AWS),
 *   complementary  R12 } so they run on demand only — the runbooks, `drsentinel check`, the API.
 *   sampling       hash samples of uploads and metadata (the sync verifiers, run on their own):
 *                  on demand. They compare live AWS with Azure, so an upload made since the last
 *                  sync is a difference, and they read AWS, which a disaster may have taken away.
 */
export const SUITES = ['monthly', 'standby', 'smoke', 'e2e', 'complementary', 'sampling'] as const;
export type Suite = (typeof SUITES)[number];

export const MONTHLY_SUITE: Suite = 'monthly';
/** Run by the scheduler every `checks.probeEveryMinutes`. */
export const PROBE_SUITES: readonly Suite[] = ['standby'];

export function isSuite(name: string): name is Suite {
  return (SUITES as readonly string[]).includes(name);
}
