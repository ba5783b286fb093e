/**
 * Fault hooks of the in-memory adapters: a test makes calls of one operation fail, or stall
 * until it lets them go, to see what an engine does when a service misbehaves — without a twin.
 *
 *   store.faults.fail('put', faultErrors.throttling());           // the next put throws it
 *   store.faults.fail('head', faultErrors.timeout(), { times: Infinity, key: 'a.txt' });
 *   const stall = store.faults.stall('get');                      // the next get waits…
 *   await stall.reached;                                          // …once it has begun,
 *   stall.release();                                              // …until let go (or release(error))
 *
 * A hook is checked when a call begins, before it reads or changes anything: a failed or stalled
 * call has had no effect. Hooks are used up in the order they were set; `clear` removes them
 * (calls already stalled stay stalled until released). A stalled call given an AbortSignal
 * rejects with its reason when it is aborted, as an SDK call does.
 */

/** Errors that `classifyFailure` (src/core/retry.ts) puts in each class, as the services send them. */
export const faultErrors = {
  /** Class throttling: the service is busy (S3's 503 SlowDown). */
  throttling: (message = 'injected: slow down') => Object.assign(new Error(message), { name: 'SlowDown', statusCode: 503 }),
  /** Class timeout: a call that got no answer in time. */
  timeout: (message = 'injected: no answer in time') => Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
  /** Class network: a connection reset under the call. */
  network: (message = 'injected: connection reset') => Object.assign(new Error(message), { code: 'ECONNRESET' }),
  /** Class auth: credentials refused (never retried). */
  auth: (message = 'injected: access denied') => Object.assign(new Error(message), { name: 'AccessDenied', statusCode: 403 }),
};

export interface FaultOptions {
  /** How many calls the hook takes before it is used up; `Infinity` for every call. Default 1. */
  times?: number;
  /** Only calls about this object key (object stores); calls about none never match. */
  key?: string;
}

/** Calls held by a `stall` hook. */
export interface Stall {
  /** Calls waiting now. */
  readonly waiting: number;
  /** Settles once the first call has stalled. */
  readonly reached: Promise<void>;
  /** Lets every waiting call, and every later one the hook takes, go on; with an error, they throw it instead. */
  release(error?: unknown): void;
}

interface Hook<Operation extends string> {
  operation: Operation;
  left: number;
  key?: string;
  act: (signal?: AbortSignal) => Promise<void>;
}

class StallHook implements Stall {
  waiting = 0;
  readonly reached: Promise<void>;
  private reach!: () => void;
  private released: { error?: unknown } | undefined;
  private readonly waiters = new Set<{ go: () => void; stop: (error: unknown) => void }>();

  constructor() {
    this.reached = new Promise<void>((resolve) => (this.reach = resolve));
  }

  release(error?: unknown): void {
    this.released = error === undefined ? {} : { error };
    for (const waiter of this.waiters) error === undefined ? waiter.go() : waiter.stop(error);
    this.waiters.clear();
    this.waiting = 0;
  }

  hold(signal?: AbortSignal): Promise<void> {
    if (this.released) return this.released.error === undefined ? Promise.resolve() : Promise.reject(this.released.error);
    this.reach();
    return new Promise<void>((resolve, reject) => {
      const waiter = { go: () => finish(resolve), stop: (error: unknown) => finish(() => reject(error)) };
      const onAbort = () => {
        this.waiters.delete(waiter);
        this.waiting--;
        reject(signal!.reason);
      };
      const finish = (settle: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      this.waiters.add(waiter);
      this.waiting++;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export class FaultHooks<Operation extends string> {
  private hooks: Hook<Operation>[] = [];
  private readonly counted = new Map<Operation, number>();

  /** The next call of `operation` (or as many as `times` says) throws `error`. */
  fail(operation: Operation, error: unknown, opts: FaultOptions = {}): void {
    this.add(operation, opts, () => Promise.reject(error));
  }

  /** The next call of `operation` (or as many as `times` says) waits until the stall is released. */
  stall(operation: Operation, opts: FaultOptions = {}): Stall {
    const stall = new StallHook();
    this.add(operation, opts, (signal) => stall.hold(signal));
    return stall;
  }

  /** Removes every hook not used up yet. */
  clear(): void {
    this.hooks = [];
  }

  /** Calls of `operation` begun so far, faulted ones included. */
  calls(operation: Operation): number {
    return this.counted.get(operation) ?? 0;
  }

  /** For the adapters: at the start of every call, before it has any effect. An aborted call goes no further, as with an SDK. */
  async enter(operation: Operation, key?: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.counted.set(operation, this.calls(operation) + 1);
    const hook = this.hooks.find((h) => h.operation === operation && (h.key === undefined || h.key === key));
    if (!hook) return;
    if (--hook.left <= 0) this.hooks = this.hooks.filter((h) => h !== hook);
    await hook.act(signal);
  }

  private add(operation: Operation, { times = 1, key }: FaultOptions, act: Hook<Operation>['act']): void {
    if (!(times >= 1)) throw new Error(`a fault hook needs times ≥ 1, not ${times}`);
    this.hooks.push({ operation, left: times, ...(key === undefined ? {} : { key }), act });
  }
}
