/**
 * Leadership among replicas that share a PostgreSQL store: a lease row with its holder, its
 * expiry and an epoch raised at every change of hands. Times are the database's, so replicas
 * whose clocks drift still agree on who leads.
 *
 * The lease is also the fence (fence.ts): a state write checks, in its own transaction, that
 * this replica still holds the lease at the epoch it acts under. A leader paused past its
 * expiry (GC, SIGSTOP, a partition) finds on waking that its next write is refused.
 */
import { FencedError } from '../core/errors.js';
import type { Fence } from './fence.js';
import type { Sql } from './sql.js';

const NAME = 'leader';

export interface LeaseState {
  holder: string;
  epoch: number;
  /** Milliseconds of lease left, as the database counts them, when last read. */
  remainingMs: number;
}

export class Lease implements Fence {
  readonly holder: string;
  /** store.leaseSeconds: the longest a follower waits to lead after the leader's last renewal. */
  readonly seconds: number;
  /**
   * How long a lease taken or renewed stays valid: `seconds` less one renewal period (a fifth),
   * so that a follower, which polls, leads within `seconds` of the leader's last renewal.
   */
  readonly validSeconds: number;
  readonly #sql: Sql;
  /** The epoch this replica leads under; 0 while it follows. */
  #epoch = 0;

  constructor(sql: Sql, o: { holder: string; seconds: number }) {
    this.#sql = sql;
    this.holder = o.holder;
    this.seconds = o.seconds;
    this.validSeconds = (o.seconds * 4) / 5;
  }

  epoch(): number {
    return this.#epoch;
  }

  /**
   * Renews the lease while this replica leads, or takes it when it is free or expired. Returns
   * the epoch this replica now leads under, or 0 when it does not lead. A leader whose renewal
   * finds the lease gone (expired, or taken) leads no more: it must stop acting before it takes
   * the lease again, under a new epoch. Every taking raises the epoch, so whatever was begun
   * under an earlier one is fenced off.
   */
  async acquireOrRenew(): Promise<number> {
    this.#epoch = this.#epoch > 0 ? await this.#renew(this.#epoch) : await this.#take();
    return this.#epoch;
  }

  async #renew(epoch: number): Promise<number> {
    const row = await this.#sql.get<{ epoch: number }>(`
      UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => ?)
      WHERE name = ? AND holder = ? AND epoch = ? AND expires_at > clock_timestamp()
      RETURNING epoch`, [this.validSeconds, NAME, this.holder, epoch]);
    return row?.epoch ?? 0;
  }

  async #take(): Promise<number> {
    const row = await this.#sql.get<{ epoch: number }>(`
      INSERT INTO leases (name, holder, epoch, acquired_at, expires_at)
      VALUES (?, ?, 1, clock_timestamp(), clock_timestamp() + make_interval(secs => ?))
      ON CONFLICT (name) DO UPDATE SET
        holder = excluded.holder, epoch = leases.epoch + 1, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
      WHERE leases.expires_at <= clock_timestamp() OR leases.holder = excluded.holder
      RETURNING epoch`, [NAME, this.holder, this.validSeconds]);
    return row?.epoch ?? 0;
  }

  /** Gives the lease up at once (a clean shutdown), so another replica need not wait it out. */
  async release(): Promise<void> {
    const epoch = this.#epoch;
    this.#epoch = 0;
    await this.#sql.run('UPDATE leases SET expires_at = clock_timestamp() WHERE name = ? AND holder = ? AND epoch = ?', [NAME, this.holder, epoch]);
  }

  /** Forgets leadership without a word to the store (it no longer answers, or the lease is gone). */
  stepDown(): void {
    this.#epoch = 0;
  }

  /** Who holds the lease now, if anyone. */
  async current(): Promise<LeaseState | undefined> {
    const row = await this.#sql.get<{ holder: string; epoch: number; remaining_ms: number }>(
      "SELECT holder, epoch, GREATEST(0, EXTRACT(EPOCH FROM (expires_at - clock_timestamp())) * 1000)::bigint AS remaining_ms FROM leases WHERE name = ?",
      [NAME],
    );
    return row && { holder: row.holder, epoch: row.epoch, remainingMs: row.remaining_ms };
  }

  async check(tx: Sql): Promise<void> {
    const mine = this.#epoch;
    if (mine === 0) throw new FencedError(`${this.holder} does not lead: a follower writes no run, step or sync state`);
    // FOR SHARE: no takeover can commit between this check and the write it guards.
    const row = await tx.get<{ holder: string; epoch: number; live: boolean }>(
      'SELECT holder, epoch, expires_at > clock_timestamp() AS live FROM leases WHERE name = ? FOR SHARE',
      [NAME],
    );
    if (row && row.holder === this.holder && row.epoch === mine && row.live) return;
    this.#epoch = 0;
    const now = row ? `${row.holder} at epoch ${row.epoch}${row.live ? '' : ' (expired)'}` : 'nobody';
    throw new FencedError(`${this.holder} lost the lease of epoch ${mine}; it is held by ${now}: the write was refused, this replica stops acting`);
  }
}
