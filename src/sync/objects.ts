/**
 * The objects engine (R1 site, R2 uploads, and their reverse for the rollback): both
 * listings merged in sorted order, unchanged objects recognised by size plus the source's
 * fingerprint recorded on the destination, changed ones streamed across with their headers
 * and MD5, and — in mirror mode only — objects gone from the source deleted, but only after
 * a pass without a single error and within the delete brakes (deleteVerdict). Copy mode never
 * deletes.
 *
 * The way back (Azure → AWS, `conflictsSince`: when the contingency began) writes into
 * production, so every write is conditional and nothing AWS changed during the contingency is
 * overwritten:
 *
 * - an object only on Azure is put on condition that AWS still holds none (If-None-Match: *);
 * - Azure's forward copy of an AWS version (it carries the fingerprint) holds nothing Azure
 *   wrote: AWS's version stands, whatever AWS did to it since (changed, deleted);
 * - Azure's own version goes over AWS's on condition that AWS still holds the version read
 *   (If-Match), when that version is older than the contingency or our own earlier copy (the
 *   catch-up pass after a first one);
 * - anything else — AWS wrote the object after the contingency began, or deleted it, or a
 *   condition refused at write time — is a conflict: not written, named by key with both
 *   versions' times, and counted. The caller decides what conflicts do to the run (`conflicts`).
 */
import { createWriteStream, createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { ObjectInfo, ObjectStore, PutOptions } from '../core/ports.js';
import { classifyFailure, withRetry, WriteConflictError, type RetryPolicy } from '../core/retry.js';
import { describeError } from '../core/result.js';
import type { ConflictPolicy, DeleteBrake, ObjectConflictReport, ObjectSyncProgress, ObjectSyncSummary, SyncMode } from '../core/sync-summary.js';
import { walkStores } from './merge.js';
import { Pool } from './pool.js';

/** User-metadata name under which the destination remembers which source version it holds. */
export const FINGERPRINT_KEY = 'drsentinel_fingerprint';

/** What a put of the way back is conditional on (none elsewhere). */
type WriteCondition = Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'>;

export interface ObjectSyncOptions {
  flow: string;
  mode: SyncMode;
  source: ObjectStore;
  destination: ObjectStore;
  transfers: number;
  checkers: number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  onProgress?: (progress: ObjectSyncProgress) => void;
  /** Only keys under this prefix are compared and copied. */
  prefix?: string;
  /** Most failures and rejections kept by name in the summary; the counts are always exact. */
  maxNamed?: number;
  /** Mirror mode: the delete brakes (sync.maxDeleteRatio, sync.maxDeleteMinimum, --allow-deletes). */
  deletes?: DeleteLimits;
  /** Copy mode from Azure back to AWS: when the contingency began. Writes become conditional (see above). */
  conflictsSince?: Date;
  /** With conflictsSince, default `fail`: how the caller resolves the conflicts, recorded in the summary. */
  conflicts?: ConflictPolicy;
  /**
   * With conflictsSince: each key whose object is left as AWS holds it though Azure's differs (a
   * conflict, or a forward copy AWS has since changed). Unbounded, unlike the summary's names:
   * a verification must leave out every one of them.
   */
  onLeftToAws?: (key: string) => void;
}

export interface DeleteLimits {
  /** Share of the destination a run may delete… */
  maxRatio: number;
  /** …or this many, whichever is more. */
  minimum: number;
  /** A tech-lead's explicit override: the deletes go through whatever brake holds. */
  allow: boolean;
}

export const DEFAULT_DELETE_LIMITS: DeleteLimits = { maxRatio: 0.25, minimum: 10, allow: false };

/** What a run is about to delete, against what the two sides hold. */
export interface DeletePlan {
  flow: string;
  /** What the stores hold, for the reason: `objects`, `items`. */
  noun: string;
  source: string;
  destination: string;
  sourceCount: number;
  destinationCount: number;
  planned: number;
}

/** Either a brake held (`brake`), or the deletes may go, `deletesAllowed` when only the override let them. */
export interface DeleteVerdict {
  brake?: DeleteBrake;
  deletesAllowed?: true;
}

/**
 * What identifies a version of a source object, recorded on the destination copy. It is
 * recorded from a `get` but compared with a listing entry, so it may only use what both
 * carry and report alike: the size and the ETag (an S3 listing has no MD5). The modification
 * time is left out: S3's twin may report it a second apart between GET and listing, and a
 * fingerprint that drifts would recopy objects for nothing. The price: a change of headers
 * alone (an in-place CopyObject keeps the ETag) is not carried until the bytes change.
 */
export function fingerprintOf(info: ObjectInfo): string {
  const etag = info.etag?.replace(/"/g, '');
  return `${info.size}:${etag ? `etag:${etag}` : `md5:${info.md5 ?? ''}`}`;
}

/**
 * The delete brakes. An empty listing beside a full destination is a wrong bucket, lost
 * credentials or a policy hiding the objects, never a site emptied on purpose: it deletes
 * nothing, whatever the counts. A mass delete (more than maxRatio of the destination and more
 * than minimum) is held too. `allow` lets both through: it is a tech-lead's explicit,
 * audited decision, and the one way to empty a destination on purpose.
 */
export function deleteVerdict(plan: DeletePlan, limits: DeleteLimits): DeleteVerdict {
  const brake = brakeFor(plan, limits);
  if (!brake) return {};
  return limits.allow ? { deletesAllowed: true } : { brake };
}

function brakeFor(plan: DeletePlan, limits: DeleteLimits): DeleteBrake | undefined {
  const { flow, noun, source, destination, planned, destinationCount } = plan;
  if (planned === 0) return undefined;
  if (plan.sourceCount === 0 && destinationCount > 0) {
    const reason = `${flow}: ${source} lists no ${noun} while ${destination} holds ${destinationCount}: wrong bucket, credentials or policy? nothing deleted`;
    return { reason, planned, destinationCount, limit: 0 };
  }
  // The epsilon keeps 0.29 × 100 at 29, not 28.999….
  const limit = Math.max(limits.minimum, Math.floor(limits.maxRatio * destinationCount + 1e-9));
  if (planned <= limit) return undefined;
  const percent = Number((limits.maxRatio * 100).toFixed(2));
  const reason = `${flow}: ${planned} of the ${destinationCount} ${noun} at ${destination} would be deleted, more than the limit of ${limit} ` +
    `(sync.maxDeleteRatio ${percent} %, sync.maxDeleteMinimum ${limits.minimum}): nothing deleted; allow them with --allow-deletes`;
  return { reason, planned, destinationCount, limit };
}

export async function syncObjects(opts: ObjectSyncOptions): Promise<ObjectSyncSummary> {
  const { source, destination, signal } = opts;
  const started = Date.now();
  const maxNamed = opts.maxNamed ?? 1000;
  const summary: ObjectSyncSummary = {
    flow: opts.flow, mode: opts.mode, source: source.name, destination: destination.name,
    seen: 0, unchanged: 0, copied: 0, copiedBytes: 0, deleted: 0, keptAtDestination: 0, deletionsWithheld: 0,
    failed: 0, rejected: 0, failures: [], rejections: [], retries: 0, durationMs: 0,
  };
  const since = opts.conflictsSince;
  const conflicts: ObjectConflictReport | undefined = since && { count: 0, first: [], resolution: opts.conflicts ?? 'fail' };
  if (conflicts) Object.assign(summary, { unchangedOnAzure: 0, conflicts });
  let plannedBytes = 0;
  let listingDone = false;
  let phase: ObjectSyncProgress['phase'] = 'comparing';

  const progress = (): ObjectSyncProgress => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = summary.copiedBytes / seconds;
    const remaining = plannedBytes - summary.copiedBytes;
    return {
      flow: opts.flow, phase, listingDone, seen: summary.seen, unchanged: summary.unchanged, copied: summary.copied,
      copiedBytes: summary.copiedBytes, plannedBytes, deleted: summary.deleted, failed: summary.failed,
      rejected: summary.rejected, bytesPerSecond: Math.round(rate),
      etaSeconds: listingDone ? (remaining <= 0 ? 0 : rate > 0 ? Math.ceil(remaining / rate) : null) : null,
    };
  };
  const report = () => opts.onProgress?.(progress());

  const recordFailure = (key: string, error: unknown) => {
    summary.failed++;
    if (summary.failures.length < maxNamed) summary.failures.push({ key, reason: describeError(error), failureClass: classifyFailure(error) });
    report();
  };

  const copy = async (key: string, condition: WriteCondition) => {
    await withRetry(
      async () => {
        const { info, body } = await source.get(key, signal);
        const metadata = { ...info.metadata, [FINGERPRINT_KEY]: fingerprintOf(info) };
        // The destination adapter checks size and MD5 (when the source vouches one) as the
        // bytes pass and refuses to commit a mismatch.
        await destination
          .put(key, body, {
            size: info.size, contentType: info.contentType, cacheControl: info.cacheControl,
            contentEncoding: info.contentEncoding, contentDisposition: info.contentDisposition,
            metadata, md5: info.md5, ...condition, signal,
          })
          .catch((err: unknown) => {
            // A put that gave up mid-body leaves the source response unread: release its socket
            // before the retry opens another.
            body.destroy();
            throw err;
          });
        summary.copied++;
        summary.copiedBytes += info.size;
      },
      { policy: opts.retry, signal, onRetry: () => void summary.retries++ },
    );
    report();
  };

  const transfers = new Pool(opts.transfers);
  const checkers = new Pool(opts.checkers);
  const workDir = await mkdtemp(join(tmpdir(), 'drsentinel-sync-'));
  const doomedFile = join(workDir, 'destination-only.jsonl');
  const doomed = createWriteStream(doomedFile);
  let doomedError: Error | undefined;
  doomed.on('error', (err) => (doomedError = err));
  let doomedCount = 0;
  // What the destination held before this run: the base of the mass-delete brake.
  let destinationCount = 0;

  const planCopy = async (item: ObjectInfo, condition: WriteCondition = {}) => {
    const rejection = destination.rejectKey(item.key);
    if (rejection) {
      summary.rejected++;
      if (summary.rejections.length < maxNamed) summary.rejections.push({ key: item.key, reason: rejection });
      return;
    }
    plannedBytes += item.size;
    await transfers.submit(() => copy(item.key, condition).catch((err) => onCopyError(item, err)));
  };

  // A refused condition is a conflict, not a failure — unless it refused the retry of a put of
  // ours whose answer was lost: then AWS holds exactly the version we wrote.
  const onCopyError = async (src: ObjectInfo, error: unknown) => {
    if (!(error instanceof WriteConflictError) || !since) return recordFailure(src.key, error);
    const now = await withRetry(() => destination.head(src.key, signal), { policy: opts.retry, signal }).catch(() => undefined);
    if (now && isCurrent(src, now)) {
      summary.copied++;
      summary.copiedBytes += src.size;
    } else conflict(src, now, error.message);
  };

  const leaveToAws = (key: string) => opts.onLeftToAws?.(key);

  const conflict = (src: ObjectInfo, dst: ObjectInfo | undefined, reason: string) => {
    conflicts!.count++;
    if (conflicts!.first.length < maxNamed) {
      conflicts!.first.push({ key: src.key, azureTime: src.lastModified.toISOString(), ...(dst ? { awsTime: dst.lastModified.toISOString() } : {}), reason });
    }
    leaveToAws(src.key);
    report();
  };

  // S3 keeps whole seconds: a write in the contingency's first second must not read as older.
  const sinceMs = since && Math.floor(since.getTime() / 1000) * 1000;
  const writtenSince = (dst: ObjectInfo) => sinceMs !== undefined && dst.lastModified.getTime() >= sinceMs;
  // Our own copy of an Azure version (the catch-up after a first pass) carries the fingerprint.
  const changedOnAws = (dst: ObjectInfo) => writtenSince(dst) && dst.metadata[FINGERPRINT_KEY] === undefined;

  /** The way back for an object AWS does not hold current (`dst`: what it holds, if anything; `listed`: it held one at listing). */
  const carryBack = async (src: ObjectInfo, dst: ObjectInfo | undefined, listed: boolean) => {
    if (src.metadata[FINGERPRINT_KEY] !== undefined) {
      summary.unchangedOnAzure!++;
      return leaveToAws(src.key);
    }
    const after = `after ${since!.toISOString()}`;
    if (!dst) return listed ? conflict(src, undefined, `deleted on AWS ${after}`) : planCopy(src, { ifNoneMatch: '*' });
    if (changedOnAws(dst)) return conflict(src, dst, `changed on AWS ${after}`);
    if (!dst.etag) return recordFailure(src.key, new Error(`${destination.name} gave no ETag for ${src.key}: it cannot be written on condition`));
    await planCopy(src, { ifMatch: dst.etag });
  };

  // Current when the destination remembers this source version — or, on a way back, when the
  // source is itself the copy of exactly this destination version.
  const isCurrent = (src: ObjectInfo, dst: ObjectInfo) =>
    dst.size === src.size && (dst.metadata[FINGERPRINT_KEY] === fingerprintOf(src) || src.metadata[FINGERPRINT_KEY] === fingerprintOf(dst));

  /** An object whose destination is known: current, or copied (on the way back, by its rules). */
  const settle = async (src: ObjectInfo, dst: ObjectInfo | undefined, listed: boolean) => {
    if (dst && isCurrent(src, dst)) return void summary.unchanged++;
    if (since) return carryBack(src, dst, listed);
    await planCopy(src);
  };

  const onMatch = async (src: ObjectInfo, dst: ObjectInfo) => {
    if (isCurrent(src, dst)) return void summary.unchanged++;
    // The listing carries no metadata: the fingerprint must be read object by object where the
    // size says the copy may be current, and on the way back where it tells our own earlier
    // copy from a change AWS made during the contingency.
    const unread = dst.metadata[FINGERPRINT_KEY] === undefined && !destination.listsMetadata;
    if (!unread || (dst.size !== src.size && !writtenSince(dst))) return settle(src, dst, true);
    return checkers.submit(async () => {
      try {
        const head = await withRetry(() => destination.head(dst.key, signal), { policy: opts.retry, signal });
        await settle(src, head, true);
      } catch (err) {
        recordFailure(src.key, err);
      }
    });
  };

  const onDestinationOnly = async (dst: ObjectInfo) => {
    if (opts.mode === 'copy') return void summary.keptAtDestination++;
    doomedCount++;
    if (doomedError) throw new Error(`cannot note objects to delete in ${doomedFile}: ${doomedError.message}`);
    if (!doomed.write(JSON.stringify(dst.key) + '\n')) await once(doomed, 'drain');
  };

  try {
    await walkStores(source, destination, async (pair) => {
      if (pair.kind !== 'source-only') destinationCount++;
      if (pair.kind === 'destination-only') return onDestinationOnly(pair.destination);
      summary.seen++;
      if (summary.seen % 500 === 0) report();
      if (pair.kind === 'source-only') await settle(pair.source, undefined, false);
      else await onMatch(pair.source, pair.destination);
    }, { signal, prefix: opts.prefix });
    listingDone = true;
    await checkers.drain();
    await transfers.drain();
    doomed.end();
    await once(doomed, 'finish');

    if (opts.mode === 'mirror' && doomedCount > 0) {
      const verdict = deleteVerdict({
        flow: opts.flow, noun: 'objects', source: source.name, destination: destination.name,
        sourceCount: summary.seen, destinationCount, planned: doomedCount,
      }, opts.deletes ?? DEFAULT_DELETE_LIMITS);
      if (verdict.brake) summary.brake = verdict.brake;
      if (summary.failed > 0 || verdict.brake) summary.deletionsWithheld = doomedCount;
      else {
        if (verdict.deletesAllowed) summary.deletesAllowed = true;
        phase = 'deleting';
        report();
        const lines = createInterface({ input: createReadStream(doomedFile), crlfDelay: Infinity });
        for await (const line of lines) {
          const key = JSON.parse(line) as string;
          await transfers.submit(async () => {
            try {
              await withRetry(() => destination.delete(key, signal), { policy: opts.retry, signal });
              summary.deleted++;
            } catch (err) {
              recordFailure(key, err);
            }
          });
        }
        await transfers.drain();
      }
    }
  } finally {
    listingDone = true;
    doomed.destroy();
    await checkers.drain();
    await transfers.drain();
    await rm(workDir, { recursive: true, force: true });
  }
  phase = 'done';
  summary.durationMs = Date.now() - started;
  report();
  return summary;
}
