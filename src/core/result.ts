/**
 * The one answer every check, probe and verification gives. A check never throws:
 * `runCheck` turns an exception or a timeout into a `fail` with a readable reason.
 */
import { allowRequests } from './listeners.js';

export type Status = 'pass' | 'fail' | 'warn' | 'skip';

export interface Result {
  status: Status;
  /** One sentence a person understands, saying why. */
  reason: string;
  /** What was seen: names, addresses, mismatches. Never secrets. */
  evidence: Record<string, unknown>;
  /** Numbers worth graphing: counts, ratios, durations. */
  measurements: Record<string, number>;
  startedAt: string;
  durationMs: number;
}

export interface CheckContext {
  signal: AbortSignal;
  now(): Date;
}

export interface Check<C extends CheckContext = CheckContext> {
  /** Stable identifier, used in metrics labels and history. */
  id: string;
  title: string;
  run(ctx: C): Promise<Omit<Result, 'startedAt' | 'durationMs'>>;
}

export type Outcome = Omit<Result, 'startedAt' | 'durationMs'>;

export function pass(reason: string, evidence: Record<string, unknown> = {}, measurements: Record<string, number> = {}): Outcome {
  return { status: 'pass', reason, evidence, measurements };
}

export function fail(reason: string, evidence: Record<string, unknown> = {}, measurements: Record<string, number> = {}): Outcome {
  return { status: 'fail', reason, evidence, measurements };
}

export function warn(reason: string, evidence: Record<string, unknown> = {}, measurements: Record<string, number> = {}): Outcome {
  return { status: 'warn', reason, evidence, measurements };
}

export function skip(reason: string, evidence: Record<string, unknown> = {}): Outcome {
  return { status: 'skip', reason, evidence, measurements: {} };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Runs a check under a timeout; whatever happens, a Result comes back. `pool` is the most
 * requests the check keeps in flight at once (its verification pools), all on its signal.
 */
export async function runCheck<C extends CheckContext>(check: Check<C>, ctx: Omit<C, 'signal'> & { signal?: AbortSignal }, timeoutMs: number, pool = 1): Promise<Result> {
  const started = Date.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  allowRequests(signal, pool);
  let outcome: Outcome;
  try {
    outcome = await Promise.race([
      check.run({ ...ctx, signal } as C),
      new Promise<never>((_, reject) => {
        const onAbort = () => reject(timeout.aborted ? new Error(`timed out after ${timeoutMs} ms`) : new Error('aborted'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    // A check that answers its own abort (a `pass` or an "aborted" fail) still ran out of time.
    if (timeout.aborted) throw new Error(`timed out after ${timeoutMs} ms`);
  } catch (err) {
    outcome = fail(`${check.title}: ${describeError(err)}`);
  }
  return { ...outcome, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started };
}
