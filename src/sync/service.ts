/**
 * Runs the sync flows for the service, the scheduler and the CLI: one run per flow at a time,
 * persisted in the store (so progress and outcome survive a crash and are visible to other
 * processes), projected to the dr_sync_* metrics, classified when it fails (R4).
 *
 *   site      S3 site bucket  → Blob $web        mirror, verified by count, bytes and pages (R1)
 *   uploads   S3 uploads      → Blob uploads     copy, verified by the latest-N MD5 sample (R2)
 *   metadata  DynamoDB        → Cosmos           export chain, verified by count + hashes (R3)
 * and with `reverse` (rollback, R13.2) the same engines from Azure back to AWS, never deleting
 * and never overwriting what AWS changed after the contingency began: such a conflict fails the
 * run, class conflict, unless sync.reverseConflicts is keep-aws.
 */
import { join } from 'node:path';
import type { Adapters } from '../adapters/index.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { ObjectStore } from '../core/ports.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { allowRequests } from '../core/listeners.js';
import { describeError, type Outcome } from '../core/result.js';
import { classifyFailure, DeadlineError, type FailureClass } from '../core/retry.js';
import type { Metrics } from '../metrics/index.js';
import type { Store, SyncRunRecord } from '../store/types.js';
import { FLOW_TABLE, SYNC_FLOWS, type SyncFlow } from '../core/flows.js';
import type { ChainPoint, ConflictPolicy, MetadataSyncSummary, ObjectSyncSummary, QueuedRequest, SyncProgress, SyncRunSummary } from '../core/sync-summary.js';
import { syncMetadata } from './metadata.js';
import { syncMetadataReverse } from './metadata-reverse.js';
import { syncObjects } from './objects.js';
import { verifyLatestSample, verifyMirror } from './verify.js';


export interface SyncRequest {
  reverse?: boolean;
  /**
   * Reverse runs. Metadata: carry back what changed since then (default: the last verified
   * forward import). Objects, when no contingency is recorded: what AWS wrote since then is not overwritten.
   */
  since?: Date;
  /** Lets a mirror or full import delete past the brakes (an empty source, a mass delete): a person said so. */
  allowDeletes?: boolean;
  /** The live run whose final sync this is: the one forward run allowed inside the contingency it holds. */
  finalSyncOf?: string;
  /** Who asked: kept with a run queued for the leader, whose log names them. */
  by?: string;
}

function queuedRequest(request: SyncRequest): QueuedRequest {
  const { since, allowDeletes, by, finalSyncOf } = request;
  return {
    ...(since ? { since: since.toISOString() } : {}),
    ...(allowDeletes ? { allowDeletes } : {}),
    ...(by ? { by } : {}),
    ...(finalSyncOf ? { finalSyncOf } : {}),
  };
}

/** The request a queued run was asked with: the same run, whichever replica was asked. */
function requestOf(run: SyncRunRecord): SyncRequest {
  const { since, allowDeletes, by, finalSyncOf } = run.summary.request ?? {};
  return {
    reverse: run.reverse,
    ...(since ? { since: new Date(since) } : {}),
    ...(allowDeletes ? { allowDeletes } : {}),
    ...(by ? { by } : {}),
    ...(finalSyncOf ? { finalSyncOf } : {}),
  };
}

/** A run as the store has it, with its live progress while it runs here. */
export type SyncRunView = SyncRunRecord & { progress?: SyncProgress };

export interface SyncServiceDeps {
  config: Config;
  adapters: Adapters;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** Awaited after each forward run is recorded (R4 alerting); its failure is logged, never the run's. */
  onRunFinished?: (flow: SyncFlow) => Promise<void>;
  /**
   * Whether this process runs syncs now (it leads, or is alone; default true). A replica that
   * does not queues the runs asked of it, and the leader's `carryOn` runs them.
   */
  acting?: () => boolean;
}

interface Outcomes {
  transfer?: ObjectSyncSummary;
  metadata?: MetadataSyncSummary;
  verification: Outcome;
  verifiedThrough?: string;
  /** Reverse runs: the writes not made because AWS changed the object or item during the contingency. */
  conflicts?: Conflicts;
}

interface Conflicts {
  /** `object` or `item`. */
  noun: string;
  count: number;
  /** The first few, as the run's error names them. */
  keys: string[];
  resolution: ConflictPolicy;
}

/** Keys a failed run's error names. */
const CONFLICTS_NAMED = 5;

function conflictsOf<K>(report: { count: number; first: { key: K }[]; resolution: ConflictPolicy } | undefined, noun: string, name: (key: K) => string): Conflicts | undefined {
  return report && { noun, count: report.count, keys: report.first.slice(0, CONFLICTS_NAMED).map((c) => name(c.key)), resolution: report.resolution };
}

/** Why conflicts fail the run, or undefined when there are none or AWS's versions were meant to stand. */
function conflictError(conflicts: Conflicts | undefined): string | undefined {
  if (!conflicts || conflicts.count === 0 || conflicts.resolution !== 'fail') return undefined;
  const { noun, count, keys } = conflicts;
  const more = count > keys.length ? ', …' : '';
  return `${count} ${count === 1 ? noun : `${noun}s`} changed on AWS after the contingency began, not overwritten (${keys.join(', ')}${more}); ` +
    "sync.reverseConflicts: keep-aws lets AWS's versions stand";
}

/** The store as a verification sees it: without the keys a reverse run left as AWS holds them, on purpose. */
function listingWithout(store: ObjectStore, keys: ReadonlySet<string>): ObjectStore {
  if (keys.size === 0) return store;
  return {
    name: store.name, keyOrder: store.keyOrder, listsMetadata: store.listsMetadata,
    rejectKey: (key) => store.rejectKey(key),
    list: async function* (opts) {
      for await (const info of store.list(opts)) if (!keys.has(info.key)) yield info;
    },
    head: (key, signal) => store.head(key, signal),
    get: (key, signal) => store.get(key, signal),
    put: (key, body, opts) => store.put(key, body, opts),
    delete: (key, signal) => store.delete(key, signal),
  };
}

const PERSIST_EVERY_MS = 1000;

/** One run with all its pools full. */
function laneRequests(config: Config): number {
  const { transfers, checkers, importConcurrency } = config.sync;
  return transfers + checkers + importConcurrency;
}

/** Every lane (each flow, forward and reverse) may run at once. */
const requestsInFlight = (config: Config) => SYNC_FLOWS.length * 2 * laneRequests(config);

/** setTimeout fires at once past this (about 24.8 days). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export class SyncService {
  private readonly live = new Map<string, { progress: SyncProgress; done: Promise<SyncRunRecord> }>();
  private readonly busy = new Map<string, string>();
  /**
   * Lanes whose run is being recorded (or a queued run claimed): held before the store answers,
   * so a second start in between is refused. A claim that comes to nothing resolves undefined.
   */
  private readonly starting = new Map<string, Promise<SyncRunRecord | undefined>>();
  /** The pass of `carryOn` going on, if any: one at a time, so two cannot take up one lane. */
  private carrying: Promise<void> | undefined;
  /** Stops the runs of this term: the service's life, or until this replica stops leading. */
  private aborter = new AbortController();

  constructor(private readonly deps: SyncServiceDeps) {
    allowRequests(this.aborter.signal, requestsInFlight(deps.config));
  }

  private acting(): boolean {
    return this.deps.acting?.() ?? true;
  }

  /** Starts runs of several flows side by side, or none if one of them is already running. */
  async startMany(flows: readonly SyncFlow[], request: SyncRequest = {}): Promise<SyncRunRecord[]> {
    // One look at the contingency serves every flow; a refusal names the first, as a start of it alone would.
    if (flows[0]) await this.assertOutsideContingency(flows[0], request);
    if (!this.acting()) return this.enqueue(flows, request);
    // Checked and taken with no await in between: either every lane is free and held, or none is.
    for (const flow of flows) this.assertIdle(flow, request);
    return Promise.all(flows.map((flow) => this.begin(flow, request)));
  }

  /**
   * Forward runs are held while the standby serves: a mirror or a full import would delete
   * what Azure took in, an incremental one overwrite it. Only the final sync of the run that
   * holds the contingency goes through.
   */
  private async assertOutsideContingency(flow: SyncFlow, request: SyncRequest): Promise<void> {
    if (request.reverse) return;
    const held = await this.deps.store.contingencies.current();
    if (!held || request.finalSyncOf === held.runId) return;
    throw new ConflictError(`drsentinel is in contingency since ${held.since} (run ${held.runId}, ${held.runbook}): a forward ${flow} sync would undo what the standby took in. Forward syncs resume after the rollback's DNS cutback`);
  }

  /**
   * Every forward flow side by side (the daily job); resolves when all have ended. A flow
   * already running (started by an operator) is left to finish and not started twice: the
   * others still run, so one busy flow does not cost the rest their day. `signal` stops them.
   */
  async runAll(request: SyncRequest = {}, signal?: AbortSignal): Promise<SyncRunRecord[]> {
    const held = request.reverse ? undefined : await this.deps.store.contingencies.current();
    if (held) {
      this.deps.log('info', `forward syncs skipped: in contingency since ${held.since} (run ${held.runId}); they resume after the rollback's DNS cutback`);
      return [];
    }
    const stop = () => this.aborter.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      return await Promise.all(SYNC_FLOWS.map(async (flow) => this.wait(await this.startOrJoin(flow, request))));
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  private lane(flow: SyncFlow, request: SyncRequest): string {
    return `${flow}${request.reverse ? ':reverse' : ''}`;
  }

  private assertIdle(flow: SyncFlow, request: SyncRequest): void {
    const lane = this.lane(flow, request);
    const running = this.busy.get(lane);
    if (running) throw new ConflictError(`the ${lane} sync is already running (run ${running})`);
    if (this.starting.has(lane)) throw new ConflictError(`the ${lane} sync is already running (its run is being recorded)`);
  }

  /** The id of the flow's run going on now, else of a run started now: a caller that only needs the flow synced joins it. */
  async startOrJoin(flow: SyncFlow, request: SyncRequest = {}): Promise<string> {
    // Not leading: no run here to join; one is queued for the leader, as `start` would.
    if (!this.acting()) return (await this.start(flow, request)).id;
    const lane = this.lane(flow, request);
    // Joining a run needs no look at the contingency: only starting one does.
    if (!this.busy.has(lane) && !this.starting.has(lane)) await this.assertOutsideContingency(flow, request);
    // Looked at again after that await, and decided with none in between: another caller may have started it meanwhile.
    const running = this.busy.get(lane);
    if (running) return running;
    const pending = this.starting.get(lane);
    // A claim that came to nothing left the lane idle: look again.
    if (pending) return (await pending)?.id ?? this.startOrJoin(flow, request);
    return (await this.begin(flow, request)).id;
  }

  /** Starts a run and returns once it is recorded, not ended; `wait(id)` gives its end. */
  async start(flow: SyncFlow, request: SyncRequest = {}): Promise<SyncRunRecord> {
    await this.assertOutsideContingency(flow, request);
    if (!this.acting()) return (await this.enqueue([flow], request))[0]!;
    this.assertIdle(flow, request);
    return this.begin(flow, request);
  }

  /**
   * Not leading: the runs are recorded queued, one per flow in order, and the leader runs
   * them under these ids. Whether a flow is running is the leader's to see: a queued run
   * waits for it to end rather than being refused.
   */
  private async enqueue(flows: readonly SyncFlow[], request: SyncRequest): Promise<SyncRunRecord[]> {
    const queued: SyncRunRecord[] = [];
    for (const flow of flows) queued.push(await this.deps.store.syncs.enqueue(flow, request.reverse ?? false, queuedRequest(request)));
    for (const run of queued) this.deps.log('info', `sync ${this.lane(run.flow, request)} queued for the leader`, { run: run.id });
    return queued;
  }

  /**
   * Leading: takes up the runs queued on other replicas, oldest first, and runs them here under
   * their ids with the request they were asked with. A run whose flow is running (here or by
   * another process) stays queued and is taken up once it has ended: it may ask what the running
   * one does not (allowDeletes, a reverse `since`), so it is not folded into it.
   */
  carryOn(): Promise<void> {
    this.carrying ??= this.takeUpQueued().finally(() => (this.carrying = undefined));
    return this.carrying;
  }

  private async takeUpQueued(): Promise<void> {
    if (!this.acting()) return;
    for (const run of await this.deps.store.syncs.queued()) await this.takeUp(run);
  }

  private async takeUp(queued: SyncRunRecord): Promise<void> {
    const request = requestOf(queued);
    const lane = this.lane(queued.flow, request);
    if (this.busy.has(lane) || this.starting.has(lane)) return;
    if (!(await this.stillAllowed(queued, request))) return;
    // Looked at again after the await: a start here, or the lease, may have changed meanwhile.
    if (!this.acting() || this.busy.has(lane) || this.starting.has(lane)) return;
    const run = await this.begin(queued.flow, request, this.claim(queued.id));
    if (run) this.deps.log('info', `sync ${lane} run ${run.id}, asked of another replica${request.by ? ` by ${request.by}` : ''}, taken up here`);
  }

  /**
   * A contingency may have begun since the run was queued: a forward run would now undo what
   * the standby took in. It ends `interrupted` (not `failed`: the flow did not fail, R4 counts failures).
   */
  private async stillAllowed(queued: SyncRunRecord, request: SyncRequest): Promise<boolean> {
    try {
      await this.assertOutsideContingency(queued.flow, request);
      return true;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      await this.deps.store.syncs.finish(queued.id, 'interrupted', { ...queued.summary, error: `not run: ${error.message}` });
      this.deps.log('warn', `queued sync ${this.lane(queued.flow, request)} run ${queued.id} not run: ${error.message}`);
      return false;
    }
  }

  /** The queued run, now running here; undefined while its flow runs elsewhere, or once another took it. */
  private async claim(id: string): Promise<SyncRunRecord | undefined> {
    try {
      return await this.deps.store.syncs.claim(id);
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      throw error;
    }
  }

  /**
   * Takes the lane before its first await (the caller has just found it idle), records the run
   * (or claims a queued one) and sets it going; resolves once it is live, so `wait(id)` finds it.
   */
  private begin(flow: SyncFlow, request: SyncRequest): Promise<SyncRunRecord>;
  private begin(flow: SyncFlow, request: SyncRequest, recording: Promise<SyncRunRecord | undefined>): Promise<SyncRunRecord | undefined>;
  private begin(flow: SyncFlow, request: SyncRequest, recording: Promise<SyncRunRecord | undefined> = this.deps.store.syncs.start(flow, request.reverse ?? false)): Promise<SyncRunRecord | undefined> {
    const lane = this.lane(flow, request);
    const launched = recording.then(
      (run) => {
        this.starting.delete(lane);
        if (run) this.launch(lane, run, request);
        return run;
      },
      (error: unknown) => {
        this.starting.delete(lane);
        throw error;
      },
    );
    this.starting.set(lane, launched);
    return launched;
  }

  private launch(lane: string, run: SyncRunRecord, request: SyncRequest): void {
    this.busy.set(lane, run.id);
    const entry: { progress: SyncProgress; done: Promise<SyncRunRecord> } = { progress: {}, done: Promise.resolve(run) };
    entry.done = this.execute(run, request, entry.progress).finally(() => {
      this.busy.delete(lane);
      setTimeout(() => this.live.delete(run.id), 60_000).unref();
    });
    // Nobody may be waiting (a run started over HTTP): a store failure must not go unhandled.
    void entry.done.catch((error: unknown) => this.deps.log('error', `sync ${lane} run ${run.id} could not be recorded: ${describeError(error)}`));
    this.live.set(run.id, entry);
  }

  async wait(id: string): Promise<SyncRunRecord> {
    const entry = this.live.get(id);
    if (entry) return entry.done;
    const record = await this.deps.store.syncs.get(id);
    if (!record) throw new NotFoundError(`sync run ${id} does not exist`);
    return record;
  }

  async view(id: string): Promise<SyncRunView> {
    const record = await this.deps.store.syncs.get(id);
    if (!record) throw new NotFoundError(`sync run ${id} does not exist`);
    const live = this.live.get(id);
    return live && record.status === 'running' ? { ...record, progress: { ...live.progress } } : record;
  }

  /**
   * No longer the leader: every run here stops (its end is refused by the store's fence, and
   * the leader marks it interrupted), and the service takes new runs again if it leads again.
   */
  async standDown(reason: string): Promise<void> {
    // A pass taking up queued runs ends first: nothing it claims may go live under the next term.
    await this.carrying?.catch(() => undefined);
    const stopping = this.aborter;
    this.aborter = new AbortController();
    allowRequests(this.aborter.signal, requestsInFlight(this.deps.config));
    stopping.abort(new Error(reason));
    await Promise.allSettled([...this.starting.values()]);
    await Promise.allSettled([...this.live.values()].map((l) => l.done));
  }

  /** Stops every run, which ends as interrupted with `reason`, and waits for them. */
  async close(reason = 'the service is shutting down'): Promise<void> {
    await this.carrying?.catch(() => undefined);
    this.aborter.abort(new Error(reason));
    // A run still being recorded goes live (and sees the abort) before it can be waited for.
    await Promise.allSettled([...this.starting.values()]);
    await Promise.allSettled([...this.live.values()].map((l) => l.done));
  }

  private async execute(run: SyncRunRecord, request: SyncRequest, progress: SyncProgress): Promise<SyncRunRecord> {
    const { store, metrics, log } = this.deps;
    const started = Date.now();
    let lastPersist = 0;
    // The progress write in flight, if any: awaited before the outcome, which it would otherwise overwrite.
    let persisting: Promise<void> | undefined;
    const onProgress = (p: SyncProgress) => {
      Object.assign(progress, p, { elapsedSeconds: Math.round((Date.now() - started) / 1000) });
      if (persisting || Date.now() - lastPersist < PERSIST_EVERY_MS) return;
      lastPersist = Date.now();
      // Progress is a courtesy to readers in other processes: a busy store must not stop the sync.
      persisting = store.syncs.update(run.id, { progress: { ...progress } })
        .catch((error: unknown) => log('warn', `progress of sync run ${run.id} not saved: ${describeError(error)}`))
        .finally(() => { persisting = undefined; });
    };
    const direction = run.reverse ? 'reverse' : 'forward';
    // The stop of the term this run began in, whatever stop comes after it.
    const aborter = this.aborter;
    log('info', `sync ${run.flow} (${direction}) started`, { run: run.id });
    const deadline = this.deadline(run);
    let status: 'succeeded' | 'failed' | 'interrupted';
    let summary: SyncRunSummary;
    let verifiedThrough: string | undefined;
    let behind = false;
    try {
      const outcome = await this.flow(run, request, onProgress, deadline.signal);
      const brake = outcome.transfer?.brake ?? outcome.metadata?.brake;
      const conflicted = conflictError(outcome.conflicts);
      // A key the destination cannot hold is a copy that did not happen: the run is not a success.
      const transferFailures = (outcome.transfer?.failed ?? 0) + (outcome.transfer?.rejected ?? 0);
      status = outcome.verification.status === 'pass' && transferFailures === 0 && !brake && !conflicted ? 'succeeded' : 'failed';
      summary = { transfer: outcome.transfer, metadata: outcome.metadata, verification: outcome.verification };
      const error = brake?.reason ?? conflicted;
      if (error) summary.error = error;
      if (status === 'failed') summary.failureClass = brake ? 'safety' : conflicted ? 'conflict' : failureClassOf(outcome);
      verifiedThrough = status === 'succeeded' ? outcome.verifiedThrough : undefined;
      behind = outcome.metadata?.behind === true;
      // The dr_sync_* series describe the forward flows that keep the standby ready.
      if (!run.reverse) this.project(run.flow, outcome);
    } catch (error) {
      // Stopped by a shutdown: not a failure of the flow (R4 counts failures), run again at start.
      status = aborter.signal.aborted ? 'interrupted' : 'failed';
      // An SDK aborted mid-request says only "Request aborted": the reason is why it was stopped.
      const why = deadline.expired() ? deadline.signal.reason : error;
      summary = status === 'interrupted'
        ? { error: `stopped before the end (${describeError(aborter.signal.reason)}); the next run converges` }
        : { error: describeError(why), failureClass: classifyFailure(why) };
    } finally {
      deadline.clear();
    }
    const durationMs = Date.now() - started;
    summary.durationMs = durationMs;
    if (durationMs > this.deps.config.sync.windowHours * 3_600_000) {
      summary.windowExceeded = true;
      log('warn', `sync ${run.flow} took ${Math.round(durationMs / 60_000)} min, beyond its ${this.deps.config.sync.windowHours} h window`, { run: run.id });
    }
    await persisting;
    await store.syncs.finish(run.id, status, summary, verifiedThrough);
    if (!run.reverse) {
      const failures = await store.syncs.consecutiveFailures(run.flow);
      metrics.syncConsecutiveFailures.set({ flow: run.flow }, failures);
      if (status === 'succeeded') metrics.syncLastSuccessTimestampSeconds.set({ flow: run.flow }, Date.now() / 1000);
    }
    if (!run.reverse) metrics.syncDurationSeconds.set({ flow: run.flow }, (Date.now() - started) / 1000);
    // A metadata chain that stopped at the longest export window goes on at once until it is current.
    if (status === 'succeeded' && !run.reverse && behind && !aborter.signal.aborted) {
      log('info', 'the metadata chain is still behind after one full export window: continuing');
      // After this run has left its lane (the `finally` of `launch`); the next run's end is watched by its own entry.
      setTimeout(() => {
        void this.start('metadata').catch((error: unknown) => log('warn', `the metadata chain could not continue: ${describeError(error)}`));
      }, 0);
    }
    const level = status === 'succeeded' ? 'info' : status === 'interrupted' ? 'warn' : 'error';
    log(level, `sync ${run.flow} (${direction}) ${status}`, { run: run.id, reason: summary.error ?? summary.verification?.reason });
    if (!run.reverse && this.deps.onRunFinished) {
      await this.deps.onRunFinished(run.flow).catch((error: unknown) => log('warn', `after the ${run.flow} sync: ${describeError(error)}`));
    }
    return (await store.syncs.get(run.id))!;
  }

  /**
   * The run's own stop signal: the service's, or the run's deadline (default twice the sync
   * window), past which a hung call can no longer hold the flow, and the next day's run, for good.
   */
  private deadline(run: SyncRunRecord): { signal: AbortSignal; expired: () => boolean; clear: () => void } {
    const { sync } = this.deps.config;
    const hours = sync.runDeadlineHours ?? 2 * sync.windowHours;
    const expiry = new AbortController();
    const timer = setTimeout(() => expiry.abort(new DeadlineError(`the ${run.flow} sync did not finish within its deadline of ${hours} h (sync.runDeadlineHours): stopped; the next run converges`)), Math.min(LONGEST_TIMER_MS, hours * 3_600_000));
    timer.unref();
    const signal = AbortSignal.any([this.aborter.signal, expiry.signal]);
    allowRequests(signal, laneRequests(this.deps.config));
    return { signal, expired: () => expiry.signal.aborted, clear: () => clearTimeout(timer) };
  }

  /**
   * Since when AWS's writes are its own, for the objects' way back: the contingency's start,
   * else the `since` asked for, else the flow's last verified forward run (AWS's writes after it
   * never reached Azure). The newest contingency wins over a `since`: the catch-up pass asks
   * from its first pass's start, yet AWS's writes before that are still AWS's.
   */
  private async conflictsSince(flow: SyncFlow, request: SyncRequest): Promise<Date> {
    const held = (await this.deps.store.contingencies.latest())?.since;
    const lastForward = (await this.deps.store.syncs.lastSuccess(flow))?.startedAt;
    const since = held ?? request.since ?? lastForward;
    if (since === undefined) throw new Error(`the reverse ${flow} sync needs a starting time (--since): no contingency is recorded and no forward ${flow} sync has been verified`);
    return new Date(since);
  }

  private project(flow: SyncFlow, outcome: Outcomes): void {
    const { metrics } = this.deps;
    const t = outcome.transfer;
    if (t) {
      metrics.syncObjectsTotal.inc({ flow, result: 'copied' }, t.copied);
      metrics.syncObjectsTotal.inc({ flow, result: 'unchanged' }, t.unchanged);
      metrics.syncObjectsTotal.inc({ flow, result: 'deleted' }, t.deleted);
      metrics.syncObjectsTotal.inc({ flow, result: 'failed' }, t.failed + t.rejected);
      metrics.syncBytesTotal.inc({ flow }, t.copiedBytes);
    }
    const m = outcome.metadata;
    if (m) {
      metrics.syncObjectsTotal.inc({ flow, result: 'copied' }, m.import.written);
      metrics.syncObjectsTotal.inc({ flow, result: 'deleted' }, m.import.deleted + m.staleRemoved);
      metrics.syncObjectsTotal.inc({ flow, result: 'quarantined' }, m.import.quarantined);
    }
    const ratio = outcome.verification.measurements.ratio;
    if (typeof ratio === 'number') metrics.syncIntegrityRatio.set({ flow }, ratio);
  }

  private async flow(run: SyncRunRecord, request: SyncRequest, onProgress: (p: SyncProgress) => void, signal: AbortSignal): Promise<Outcomes> {
    const { config, adapters, store, clock } = this.deps;
    const deletes = { maxRatio: config.sync.maxDeleteRatio, minimum: config.sync.maxDeleteMinimum, allow: request.allowDeletes === true };
    const o = adapters.objects;
    const objects = { transfers: config.sync.transfers, checkers: config.sync.checkers, signal, onProgress };
    const startedAt = run.startedAt;

    const declared = FLOW_TABLE[run.flow].mode;
    if (declared !== 'import') {
      const [source, destination] = run.flow === 'site'
        ? (run.reverse ? [o.azureSite, o.awsSite] : [o.awsSite, o.azureSite])
        : (run.reverse ? [o.azureUploads, o.awsUploads] : [o.awsUploads, o.azureUploads]);
      // The way back only copies: the uploads flow never deletes, nor does a return into production.
      const mode = run.reverse ? 'copy' : declared;
      const leftToAws = new Set<string>();
      const wayBack = run.reverse
        ? { conflictsSince: await this.conflictsSince(run.flow, request), conflicts: config.sync.reverseConflicts, onLeftToAws: (key: string) => void leftToAws.add(key) }
        : {};
      const transfer = await syncObjects({ flow: run.flow, mode, source, destination, deletes, ...wayBack, ...objects });
      onProgress({ phase: 'verifying' });
      const verification = mode === 'mirror'
        ? await verifyMirror({ source, destination, websiteUrl: config.azure.blob.websiteUrl, concurrency: config.sync.checkers, signal })
        : await verifyLatestSample({ source: listingWithout(source, leftToAws), destination, sampleSize: config.sync.uploadsSampleSize, signal });
      return { transfer, verification, verifiedThrough: startedAt, conflicts: conflictsOf(transfer.conflicts, 'object', (key) => key) };
    }

    const quarantineFile = join(config.service.stateDir, 'quarantine', `${run.id}.jsonl`);
    const tuning = { sampleRatio: config.sync.metadataSampleRatio, batchSize: config.sync.importBatchSize, concurrency: config.sync.importConcurrency, quarantineFile, signal, onProgress };
    // The flow is looked at only to narrow the summary's type: a metadata run's.
    const last = await store.syncs.lastSuccess('metadata');
    const previous = last?.flow === 'metadata' ? last.summary.metadata : undefined;
    if (run.reverse) {
      const since = request.since ?? (previous?.chain ? new Date(previous.chain.through) : undefined);
      if (!since) throw new Error('the reverse metadata sync needs a starting time (--since): no forward import has been verified yet');
      const schema = await adapters.tables.dynamodb.keySchema(signal);
      const metadata = await syncMetadataReverse({
        source: adapters.tables.cosmos, destination: adapters.tables.dynamodb, schema, since,
        conflicts: config.sync.reverseConflicts, updatedAttribute: config.aws.dynamodb.updatedAttribute, ...tuning,
      });
      return { metadata, verification: metadata.verification, conflicts: conflictsOf(metadata.conflicts, 'item', (key) => JSON.stringify(key)) };
    }
    const chain: ChainPoint | undefined = previous?.chain;
    const metadata = await syncMetadata({
      runId: run.id, source: adapters.tables.dynamodb, destination: adapters.tables.cosmos, mode: config.sync.metadataExport,
      previous: chain, clock, deletes, ...tuning,
      export: config.sync.metadataExport === 'point-in-time' ? {
        exporter: adapters.exporter, bucket: o.awsExports, bucketName: config.aws.s3.buckets.exports, prefix: config.sync.exportPrefix,
        staging: o.azureStaging, pollIntervalMs: config.sync.exportPollMs, timeoutMs: config.sync.exportTimeoutMinutes * 60_000,
        minWindowMs: config.sync.incrementalMinWindowSeconds * 1000, maxWindowMs: 24 * 3_600_000,
        transfers: config.sync.transfers, checkers: config.sync.checkers,
      } : undefined,
    });
    return { metadata, verification: metadata.verification, verifiedThrough: metadata.chain?.through };
  }
}

/** The class an R4 alert names: a failed verification is an integrity problem; else the commonest transfer failure. */
function failureClassOf(outcome: Outcomes): FailureClass {
  const failures = outcome.transfer?.failures ?? [];
  if (failures.length === 0) return 'integrity';
  const counts = new Map<FailureClass, number>();
  for (const f of failures) counts.set(f.failureClass ?? 'other', (counts.get(f.failureClass ?? 'other') ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}
