/**
 * What a sync run records in the store (its summary), and the engines' reports it is made of:
 * the objects engine's transfer (site, uploads), the metadata engine's import (and its way
 * back), the verification, and while it waits or runs, its request and progress. Types only:
 * the engines (src/sync) produce them, the store keeps them as JSON, the runbooks, alerts,
 * CLI and API read them — so they live here, below all of them.
 */
import type { ExportKind } from './exports.js';
import type { FLOW_TABLE, SyncFlow } from './flows.js';
import type { Item } from './items.js';
import type { Outcome } from './result.js';
import type { FailureClass } from './retry.js';

/**
 * What a reverse write (objects or items) does on a conflict (sync.reverseConflicts). `fail`:
 * the run fails. `keep-aws`: AWS's version stands, the conflict is reported.
 */
export type ConflictPolicy = 'fail' | 'keep-aws';

/** A brake that held: nothing was deleted. The run fails with class `safety`. */
export interface DeleteBrake {
  /** One sentence naming the flow, the counts and the limit. */
  reason: string;
  planned: number;
  destinationCount: number;
  /** The most deletes the run was allowed. */
  limit: number;
}

// ---------------------------------------------------------------- objects (site, uploads)

export type SyncMode = 'mirror' | 'copy';

export interface ObjectSyncProgress {
  flow: string;
  phase: 'comparing' | 'deleting' | 'done';
  listingDone: boolean;
  seen: number;
  unchanged: number;
  copied: number;
  copiedBytes: number;
  plannedBytes: number;
  deleted: number;
  failed: number;
  rejected: number;
  bytesPerSecond: number;
  /** Known once both listings are done. */
  etaSeconds: number | null;
}

export interface NamedProblem {
  key: string;
  reason: string;
  failureClass?: FailureClass;
}

/** A write the way back did not make, because AWS's version is not the one Azure's replaces. */
export interface ObjectConflict {
  key: string;
  /** When Azure last wrote its version, ISO 8601. */
  azureTime: string;
  /** When AWS last wrote its version; absent when AWS no longer holds one. */
  awsTime?: string;
  reason: string;
}

export interface ObjectConflictReport {
  count: number;
  /** The first conflicts met, at most `maxNamed`. */
  first: ObjectConflict[];
  resolution: ConflictPolicy;
}

export interface ObjectSyncSummary {
  flow: string;
  mode: SyncMode;
  source: string;
  destination: string;
  seen: number;
  unchanged: number;
  copied: number;
  copiedBytes: number;
  deleted: number;
  /** Objects only at the destination that copy mode keeps. */
  keptAtDestination: number;
  /** Mirror mode: deletions withheld because the pass had errors or a delete brake held. */
  deletionsWithheld: number;
  failed: number;
  rejected: number;
  failures: NamedProblem[];
  rejections: NamedProblem[];
  retries: number;
  durationMs: number;
  /** Mirror mode: a delete brake held, nothing was deleted (deletionsWithheld says how many were planned). */
  brake?: DeleteBrake;
  /** Mirror mode: deletes a brake would have held went through on the explicit override. */
  deletesAllowed?: true;
  /** The way back: Azure's forward copies of AWS versions AWS has since changed or deleted; AWS's versions stand. */
  unchangedOnAzure?: number;
  /** The way back: the writes not made. */
  conflicts?: ObjectConflictReport;
}

// ---------------------------------------------------------------- metadata

export interface ImportTotals {
  records: number;
  puts: number;
  deletes: number;
  written: number;
  /** Puts that created a new item, when the destination can tell (Cosmos can). */
  created: number | undefined;
  /** Deletes of items that existed (when the destination can tell; else every delete). */
  deleted: number;
  quarantined: number;
}

/** Where the chain stands: the last verified import. */
export interface ChainPoint {
  /** Export time (full) or window end (incremental) covered, ISO. */
  through: string;
  /** Items at the destination right after that import. */
  count: number;
}

export interface MetadataProgress {
  phase: 'exporting' | 'staging' | 'importing' | 'cleaning' | 'verifying' | 'done';
  records: number;
  written: number;
  quarantined: number;
}

export interface MetadataSyncSummary {
  kind: ExportKind | 'scan';
  exportId?: string;
  exportTime?: string;
  window?: { from: string; to: string };
  expectedItems: number;
  import: ImportTotals;
  staleRemoved: number;
  /** A delete brake held: no stale item was removed, and the verification fails. */
  brake?: DeleteBrake;
  /** Stale items a brake would have kept were removed on the explicit override. */
  deletesAllowed?: true;
  quarantineFile?: string;
  quarantinedFirst: Array<{ file: string; line: number; reason: string }>;
  destinationCount: number;
  verification: Outcome;
  /** Set only when verification passed: where the chain now stands. */
  chain?: ChainPoint;
  /** The export stopped short of now (longest window reached): another run should follow. */
  behind?: boolean;
}

/** A write the way back did not make: the item changed on AWS after the contingency began. */
export interface ItemConflict {
  key: Item;
  /** When Azure last wrote the document (Cosmos `_ts`), ISO 8601. */
  azureTime?: string;
  /** When AWS last wrote the item, from `updatedAttribute`, when the item has it. */
  awsTime?: string;
  reason: string;
}

export interface ItemConflictReport {
  count: number;
  /** The first conflicts, in the order met. */
  first: ItemConflict[];
  resolution: ConflictPolicy;
}

export interface ReverseMetadataSummary extends MetadataSyncSummary {
  conflicts: ItemConflictReport;
}

// ---------------------------------------------------------------- the run's summary

/** A run asked of a replica that does not act, as the store keeps it until the leader runs it. */
export interface QueuedRequest {
  /** ISO. */
  since?: string;
  allowDeletes?: boolean;
  by?: string;
  finalSyncOf?: string;
}

/**
 * What a running run shows: its engine's latest report (objects or items), the phase the
 * service adds (`verifying`), and how long it has run.
 */
export type SyncProgress = Partial<Omit<ObjectSyncProgress, 'phase'> & Omit<MetadataProgress, 'phase'>> & {
  phase?: ObjectSyncProgress['phase'] | MetadataProgress['phase'];
  elapsedSeconds?: number;
};

/** What every run may record, whatever its flow. */
export interface RunSummaryBase {
  /** While queued: what was asked. */
  request?: QueuedRequest;
  /** While running: the latest progress. */
  progress?: SyncProgress;
  /** Once ended: what proves it (absent when it failed before verifying). */
  verification?: Outcome;
  /** Why it failed, was stopped, or never ran. */
  error?: string;
  /** Failed: the class an R4 alert names. */
  failureClass?: FailureClass;
  durationMs?: number;
  /** It took longer than sync.windowHours. */
  windowExceeded?: true;
}

/** A run of the site or uploads flow: the objects engine's transfer. */
export type ObjectRunSummary = RunSummaryBase & { transfer?: ObjectSyncSummary };

/** A run of the metadata flow: the import (forward) or the carrying back (reverse). */
export type MetadataRunSummary = RunSummaryBase & { metadata?: MetadataSyncSummary | ReverseMetadataSummary };

/** The summary of a run of `F`, by the flow's mode (the flow table); without `F`, of a run of any flow. */
export type SyncRunSummary<F extends SyncFlow = SyncFlow> = F extends SyncFlow
  ? (typeof FLOW_TABLE)[F]['mode'] extends 'import' ? MetadataRunSummary : ObjectRunSummary
  : never;
