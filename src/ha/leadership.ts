/**
 * Which replica acts. On SQLite the process is alone (`single`, a file lock sees to it) and
 * acts from the start. On PostgreSQL replicas compete for the lease (store/lease.ts): the one
 * holding it leads — it runs the schedule, the syncs and the runbook steps — and the others
 * follow: they serve reads and take decisions, which the leader acts on.
 *
 * The leader renews often (a fifth of the lease), so a failed renewal or two cost nothing; a
 * follower asks twice a second, so it takes over within half a second of the expiry. A leader
 * that cannot renew steps down before its lease can have run out, and fencing refuses whatever
 * it still tries to write.
 */
import { FencedError } from '../core/errors.js';
import { describeError } from '../core/result.js';
import type { Lease } from '../store/lease.js';

export type ReplicaRole = 'single' | 'leader' | 'follower';

export interface LeadershipOptions {
  /** Absent: one process on its own store. */
  lease?: Lease;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Becomes the leader under `epoch`: start acting. */
  lead(epoch: number): Promise<void>;
  /** No longer the leader: stop acting at once, writing nothing. */
  follow(): Promise<void>;
  /** Follower poll; defaults to 500 ms. */
  pollMs?: number;
}

export class Leadership {
  readonly #o: LeadershipOptions;
  #role: ReplicaRole;
  #epoch = 0;
  #storeUp = true;
  /** When the lease was last renewed, by this process's monotonic clock. */
  #renewedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #transition: Promise<void> = Promise.resolve();

  constructor(o: LeadershipOptions) {
    this.#o = o;
    this.#role = o.lease ? 'follower' : 'single';
  }

  role(): ReplicaRole {
    return this.#role;
  }

  /** Whether this process may act now: alone, or leading with a lease not about to run out. */
  acting(): boolean {
    return this.#role === 'single' || (this.#role === 'leader' && this.#leaseLeftMs() > 0);
  }

  /**
   * Before an act: renews the lease now and throws FencedError unless this replica still leads
   * under the epoch it began with, with a lease that outlasts the act's first moments.
   */
  async confirm(): Promise<void> {
    const lease = this.#o.lease;
    if (!lease) return;
    const asked = performance.now();
    const epoch = this.#role === 'leader' ? await lease.acquireOrRenew() : 0;
    if (epoch === 0 || epoch !== this.#epoch) {
      if (this.#role === 'leader') void this.#become('follower');
      throw new FencedError(`${lease.holder} does not lead any more (epoch ${this.#epoch}): the act was not begun`);
    }
    this.#renewedAt = asked;
  }

  async start(): Promise<void> {
    if (!this.#o.lease) {
      await this.#o.lead(0);
      return;
    }
    await this.#tick();
  }

  /** Stops acting and competing; a leader gives the lease up so another need not wait it out. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#transition;
    if (this.#role === 'single') await this.#o.follow();
    if (this.#role !== 'leader') return;
    await this.#become('follower');
    await this.#o.lease?.release().catch((err: unknown) => this.#o.log('warn', `the lease could not be given up; it runs out by itself: ${describeError(err)}`));
  }

  #leaseLeftMs(): number {
    const lease = this.#o.lease;
    if (!lease) return Infinity;
    // A margin of one renewal period: a leader stops before its lease can have run out.
    return this.#renewedAt + lease.validSeconds * 1000 - this.#renewEveryMs() - performance.now();
  }

  #renewEveryMs(): number {
    return ((this.#o.lease?.seconds ?? 15) * 1000) / 5;
  }

  async #tick(): Promise<void> {
    await this.#renewOrTake();
    if (this.#stopped) return;
    const every = this.#role === 'leader' ? this.#renewEveryMs() : (this.#o.pollMs ?? 500);
    this.#timer = setTimeout(() => void this.#tick(), every);
  }

  async #renewOrTake(): Promise<void> {
    const lease = this.#o.lease!;
    const asked = performance.now();
    let epoch: number;
    try {
      epoch = await lease.acquireOrRenew();
    } catch (err) {
      // Said once per outage, not at every try.
      if (this.#storeUp) this.#o.log('warn', `the store does not answer (${describeError(err)}): no replica can act until it does`);
      this.#storeUp = false;
      if (this.#role === 'leader' && this.#leaseLeftMs() <= 0) {
        this.#o.log('error', `${lease.holder} could not renew its lease: stepping down before it runs out`);
        lease.stepDown();
        void this.#become('follower');
      }
      return;
    }
    if (!this.#storeUp) this.#o.log('info', 'the store answers again');
    this.#storeUp = true;
    if (epoch > 0) {
      this.#renewedAt = asked;
      if (this.#role !== 'leader') void this.#become('leader', epoch);
    } else if (this.#role === 'leader') {
      this.#o.log('warn', `${lease.holder} found its lease gone (expired or taken): following`);
      void this.#become('follower');
    }
  }

  #become(role: 'leader' | 'follower', epoch = 0): Promise<void> {
    this.#role = role;
    this.#epoch = epoch;
    const step = role === 'leader' ? () => this.#o.lead(epoch) : () => this.#o.follow();
    this.#transition = this.#transition.then(step).catch((err: unknown) => this.#o.log('error', `becoming ${role} failed: ${describeError(err)}`));
    if (role === 'leader') this.#o.log('info', `${this.#o.lease?.holder ?? 'this process'} leads (epoch ${epoch})`);
    return this.#transition;
  }
}
