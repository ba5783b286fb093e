/**
 * The estimated RTO: how long the last real activation (or game-day drill) took from its start
 * to the end of its validation, decisions at the gates included — people are part of the RTO.
 * Read from the stored runs as an input of the readiness verdict, so it sits with readiness.
 */
import type { Store } from '../store/types.js';

/** The last step of the activation proper; a game-day goes on with the rollback after it. */
export const ACTIVATION_END_STEP = 'complementary';

export async function estimatedRtoSeconds(store: Store): Promise<number | null> {
  for (const run of await store.runs.list(100)) {
    if (run.dryRun || (run.runbook !== 'activation' && run.runbook !== 'game-day')) continue;
    const end = (await store.runs.steps(run.id)).find((s) => s.stepId === ACTIVATION_END_STEP);
    if (end?.status === 'succeeded' && end.finishedAt) return Math.round((Date.parse(end.finishedAt) - Date.parse(run.startedAt)) / 1000);
  }
  return null;
}
