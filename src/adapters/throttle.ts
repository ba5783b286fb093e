/**
 * Batches whose items a service turns away one by one while accepting the rest (DynamoDB's
 * UnprocessedItems, Cosmos bulk operations answered 429): the refused items are sent again
 * under the house retry policy, and whatever is still refused when it gives up is returned
 * so the caller can report it per item.
 */
import { withRetry, type RetryPolicy } from '../core/retry.js';

/** Classified as throttling by core/retry.ts (code and status), so withRetry backs off. */
class StillThrottled extends Error {
  readonly code = 'Throttling';
  readonly statusCode = 429;
  constructor(count: number, readonly retryAfterInMs: number | undefined) {
    super(`${count} operations were turned away by the service (throttled)`);
  }
}

export interface Round<T> {
  /** What the service turned away in this round. */
  retry: T[];
  /** The service's own hint, when it gave one. */
  retryAfterMs?: number | undefined;
}

/** Sends rounds until nothing is turned away; returns what still is when the policy gives up. */
export async function sendUntilAccepted<T>(
  items: T[],
  round: (pending: T[]) => Promise<Round<T>>,
  opts: { policy?: RetryPolicy; signal?: AbortSignal | undefined } = {},
): Promise<T[]> {
  let pending = items;
  try {
    await withRetry(async () => {
      if (pending.length === 0) return;
      const result = await round(pending);
      pending = result.retry;
      if (pending.length > 0) throw new StillThrottled(pending.length, result.retryAfterMs);
    }, { ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    return [];
  } catch (error) {
    if (error instanceof StillThrottled) return pending;
    throw error;
  }
}
