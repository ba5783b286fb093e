/** Waiting for the world to reach a state: DNS to propagate, instances to boot, backends to turn healthy. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, fail, type Outcome } from '../core/result.js';

export interface PollOptions {
  signal: AbortSignal;
  timeoutMs: number;
  everyMs?: number;
}

/** Asks again until the answer passes or time runs out; the last answer says why it did not. */
export async function untilPass(ask: (signal: AbortSignal) => Promise<Outcome>, o: PollOptions): Promise<Outcome> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    let outcome: Outcome;
    try {
      outcome = await ask(o.signal);
    } catch (err) {
      if (o.signal.aborted) throw err;
      outcome = fail(describeError(err));
    }
    if (outcome.status === 'pass' || outcome.status === 'warn') return outcome;
    if (Date.now() + (o.everyMs ?? 1000) > deadline) {
      return o.timeoutMs < 1000 ? outcome : { ...outcome, reason: `still not so after ${Math.round(o.timeoutMs / 1000)} s: ${outcome.reason}` };
    }
    await sleep(o.everyMs ?? 1000, undefined, { signal: o.signal });
  }
}

/** A check's run as a function of a signal, for `untilPass`. */
export const asking = (check: { run(ctx: { signal: AbortSignal; now(): Date }): Promise<Outcome> }) => (signal: AbortSignal) =>
  check.run({ signal, now: () => new Date() });
