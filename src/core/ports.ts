/**
 * The ports every adapter implements. Engines, probes and runbooks only see these;
 * `src/adapters/index.ts` is the one place that knows which implementation serves a port.
 */
import type { Readable } from 'node:stream';
import type { Item, KeySchema } from './items.js';

// ---------------------------------------------------------------- objects

/** Content headers carried with an object and preserved by the sync. */
export interface ContentHeaders {
  contentType?: string;
  cacheControl?: string;
  contentEncoding?: string;
  contentDisposition?: string;
}

export interface ObjectInfo extends ContentHeaders {
  key: string;
  size: number;
  /** Hex MD5 of the content, only when the store vouches for it (never derived from an ETag). */
  md5?: string;
  /** The store's entity tag, opaque: multipart and SSE-KMS ETags are not MD5s. */
  etag?: string;
  lastModified: Date;
  /** User metadata, names lower-cased. */
  metadata: Record<string, string>;
}

export interface PutOptions extends ContentHeaders {
  /** Exact size of the body in bytes. */
  size: number;
  /** User metadata to store with the object. */
  metadata?: Record<string, string>;
  /** Hex MD5 of the body when known in advance; the store rejects the write if the bytes differ. */
  md5?: string;
  /**
   * Conditional write, for writes into production: `ifMatch` commits only while the object's
   * ETag is still this one, `ifNoneMatch: '*'` only while no object has the key. A refused
   * condition throws WriteConflictError (core/retry.ts).
   */
  ifMatch?: string;
  ifNoneMatch?: '*';
  signal?: AbortSignal;
}

export interface ListOptions {
  prefix?: string;
  /** Listing page size asked from the service. */
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * Order in which a store lists keys. S3 lists by UTF-8 bytes; Blob Storage by
 * UTF-16 code units. They differ for characters above U+FFFF (emoji) versus
 * U+E000–U+FFFF, so the sync engine must not assume one order for both.
 */
export type KeyOrder = 'utf8' | 'utf16';

export interface ObjectStore {
  /** Human name for reports and logs, e.g. `s3://site-bucket` or `blob://$web`. */
  readonly name: string;
  readonly keyOrder: KeyOrder;
  /** True when `list` already carries user metadata (Blob); false when it needs a `head` (S3). */
  readonly listsMetadata: boolean;
  /** Largest key the store accepts, in UTF-8 bytes… and other limits, as a reason or undefined. */
  rejectKey(key: string): string | undefined;
  /** Streams every object, paging under the hood, in `keyOrder`. */
  list(opts?: ListOptions): AsyncIterable<ObjectInfo>;
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  get(key: string, signal?: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }>;
  /** Streams the body in blocks/parts; memory bounded whatever the size. Returns what was stored. */
  put(key: string, body: Readable, opts: PutOptions): Promise<ObjectInfo>;
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** A time-limited URL for one object, where the store supports it. */
  presign?(key: string, op: 'get' | 'put', expiresInSeconds: number): Promise<string>;
}

// ---------------------------------------------------------------- documents

/**
 * A put's condition, for writes into production: `absent` commits only while no item has the
 * key; `equals` only while the stored item still holds every attribute of this one, value for
 * value (the version read before deciding to write).
 */
export type WriteExpectation = { absent: true } | { equals: Item };

export interface BulkWriteOp {
  type: 'put' | 'delete';
  item: Item;
  /** Puts only, on stores that can hold a write to a condition (DynamoDB); the others refuse the op. */
  expect?: WriteExpectation;
}

export interface BulkWriteFailure {
  op: BulkWriteOp;
  reason: string;
  /** The op's `expect` did not hold: the item changed under it. Never retried, never forced. */
  conflict?: true;
}

export interface BulkWriteResult {
  written: number;
  /** Of the written, how many did not exist before — when the store can tell (Cosmos: 201 vs 200). */
  created?: number;
  /** Deletes, including those of items that were already absent. */
  deleted: number;
  /** Of the deleted, how many were already absent — when the store can tell (Cosmos: 404). */
  absent?: number;
  failed: BulkWriteFailure[];
}

export interface ScanOptions {
  /** Parallel scan segments where the store supports them. */
  segments?: number;
  pageSize?: number;
  /** Only items written at or after this time, where the store records write times (Cosmos `_ts`). */
  changedSince?: Date;
  /** Filled, for each item scanned, with what the store knows of its version (Cosmos does). */
  versions?: WeakMap<Item, ItemVersion>;
  signal?: AbortSignal;
}

/** What a store knows of how the item it holds came to be. */
export interface ItemVersion {
  /** When the store last wrote it (Cosmos `_ts`, whole seconds). */
  modified?: Date;
  /** The canonical hash of the source item a forward copy made it from; absent when something else wrote it. */
  sourceHash?: string;
}

export interface DocumentTable {
  readonly name: string;
  keySchema(signal?: AbortSignal): Promise<KeySchema>;
  /** Streams every item in the typed form (see core/items.ts). No order promised. */
  scan(opts?: ScanOptions): AsyncIterable<Item>;
  /** Writes (upserts) and deletes; a failed item is reported, the rest goes on. */
  bulkWrite(ops: BulkWriteOp[], signal?: AbortSignal): Promise<BulkWriteResult>;
  /** Exact count by reading, never from cached table statistics. */
  count(signal?: AbortSignal): Promise<number>;
  /** Reads one item by its primary key attributes. */
  get(key: Item, signal?: AbortSignal): Promise<Item | undefined>;
}

// ---------------------------------------------------------------- DNS

export type DnsRecordType = 'A' | 'CNAME';

/** What one resolver answered for one name and type. */
export interface DnsAnswer {
  /** The records of the asked type (addresses for A, target names for CNAME); empty when none. */
  answers: string[];
  /** Seconds the answer may still be cached: the smallest TTL along the answer chain, undefined when there is no record. */
  ttl: number | undefined;
  /** The response code as DNS names it: NOERROR, NXDOMAIN, SERVFAIL, REFUSED… */
  rcode: string;
}

/** One named DNS resolver, asked directly (never through the operating system's resolver). */
export interface Resolver {
  /** `host:port` of the resolver, named in evidence and errors. */
  readonly name: string;
  resolve(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer>;
}

// ---------------------------------------------------------------- Azure control plane

/** A VM Scale Set as the readiness checks and the runbooks see it. */
export interface ScaleSetState {
  name: string;
  provisioningState: string;
  capacity: number;
  /** `publisher:offer:sku:version`, or the image resource id; undefined when none is set. */
  imageReference?: string;
  /** True when the model carries start-up scripts (custom data or a script extension). */
  hasStartupScript: boolean;
}

export interface ScaleSetInstance {
  id: string;
  /** `PowerState/running` reduced to `running`, `starting`, `deallocated`… */
  powerState: string;
  /** Private address of the instance, when it has one. */
  address?: string;
}

export interface ScaleSet {
  readonly name: string;
  get(signal?: AbortSignal): Promise<ScaleSetState>;
  instances(signal?: AbortSignal): Promise<ScaleSetInstance[]>;
  /** Sets the capacity and waits for the long-running operation to finish. */
  setCapacity(capacity: number, signal?: AbortSignal): Promise<ScaleSetState>;
  /** The end of an instance's serial console log (boot diagnostics), as evidence when it misbehaves. */
  consoleLog(instanceId: string, signal?: AbortSignal): Promise<string>;
}

export interface BackendServerHealth {
  address: string;
  /** As Azure says it: Healthy, Unhealthy, Unknown, Draining. */
  health: string;
  /** Azure's explanation when not healthy. */
  detail?: string;
}

export interface GatewayState {
  name: string;
  provisioningState: string;
  /** Running, Stopped, Starting, Stopping. */
  operationalState: string;
  /** The public address of its frontend, when it has one. */
  publicIp?: string;
  backendPools: number;
  routingRules: number;
}

export interface Gateway {
  readonly name: string;
  get(signal?: AbortSignal): Promise<GatewayState>;
  /** Every backend server of every pool (a long-running operation on Azure). */
  backendHealth(signal?: AbortSignal): Promise<BackendServerHealth[]>;
}

export interface FunctionBinding {
  type: string;
  direction?: string;
  name?: string;
  /** For blob triggers: the watched `container/{name}` path. */
  path?: string;
}

export interface FunctionInfo {
  name: string;
  bindings: FunctionBinding[];
}

export interface FunctionApp {
  readonly name: string;
  listFunctions(signal?: AbortSignal): Promise<FunctionInfo[]>;
}

export interface CertificateInfo {
  name: string;
  enabled: boolean;
  notBefore?: Date;
  expiresOn?: Date;
  subject?: string;
}

export interface CertificateVault {
  readonly name: string;
  /** Undefined when the vault has no certificate of that name. */
  getCertificate(name: string, signal?: AbortSignal): Promise<CertificateInfo | undefined>;
}

/** Provisioned throughput of the Cosmos container. */
export interface Throughput {
  readonly name: string;
  get(signal?: AbortSignal): Promise<number>;
  /** Sets RU/s and waits for the operation to finish; returns the throughput now applied. */
  set(ru: number, signal?: AbortSignal): Promise<number>;
}

export interface DnsRecordSet {
  /** Relative to the zone: `dr`, `api`, `@`. */
  name: string;
  type: DnsRecordType;
  ttl: number;
  /** Addresses (A) or the one target name (CNAME). */
  values: string[];
  /**
   * The version the zone gave the record set (Azure's ETag), on what `get` and `upsert` return;
   * a new one on every write. Ignored by `upsert`: a write is conditional only through its `condition`.
   */
  etag?: string;
}

/**
 * A conditional write: `ifMatch` lands only while the record set still has that ETag (the one
 * read before deciding), `ifNoneMatch: '*'` only while the record set does not exist. When the
 * condition does not hold nothing is written and the call throws a ConflictError (Azure: 412).
 */
export type DnsWriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

/**
 * A hosted DNS zone that the runbooks may change (Azure DNS, Route 53). A name holds at most one
 * record set per type, and a name with a CNAME holds nothing else: writing one type while the
 * other exists is refused (there is no single write that swaps the type of a name).
 */
export interface DnsZone {
  readonly zone: string;
  get(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | undefined>;
  /** Replaces the whole record set in one write (values and TTL), or creates it. */
  upsert(record: DnsRecordSet, signal?: AbortSignal, condition?: DnsWriteCondition): Promise<DnsRecordSet>;
  /** Removes the record set; nothing happens when there is none (unless `ifMatch` is given: then it must exist with that ETag). */
  delete(name: string, type: DnsRecordType, signal?: AbortSignal, condition?: { ifMatch: string }): Promise<void>;
}

// ---------------------------------------------------------------- logs, metrics, notifications

export interface FunctionRun {
  functionName: string;
  invocationId: string;
  /** The blob that triggered the run, for blob-triggered functions. */
  trigger?: string;
  succeeded: boolean;
  at: Date;
  durationMs?: number;
}

/** The application's logs (Azure Monitor / Application Insights), read by the checks. */
export interface AppLogs {
  functionRuns(functionName: string, since: Date, signal?: AbortSignal): Promise<FunctionRun[]>;
  /** HTTP requests served since then, counted by status code. */
  requestStatuses(since: Date, signal?: AbortSignal): Promise<Record<string, number>>;
}

export interface MetricAlarmSpec {
  name: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  /** Alarm when the metric is ≥ threshold in `evaluationPeriods` consecutive periods. */
  threshold: number;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  description: string;
}

/** Where drsentinel publishes its own metrics for the cloud's alarms (CloudWatch). */
export interface MetricSink {
  put(namespace: string, metric: string, value: number, dimensions: Record<string, string>, at: Date, signal?: AbortSignal): Promise<void>;
  /** Creates the alarm, or verifies it and corrects it when it differs. */
  ensureAlarm(spec: MetricAlarmSpec, signal?: AbortSignal): Promise<'created' | 'unchanged' | 'updated'>;
}

export interface Message {
  /** What the message is, for the record: `sync-failure`, `sync-recovery`, `monthly-report`… */
  kind: string;
  subject: string;
  text: string;
  /** E-mail-safe HTML, when the message has one. */
  html?: string;
  /** Recipients for e-mail; the channel's default audience when absent. */
  to?: string[];
  /** Machine-readable facts for webhooks. */
  data?: Record<string, unknown>;
}

export interface Notifier {
  readonly channel: string;
  send(message: Message, signal?: AbortSignal): Promise<void>;
}

// ---------------------------------------------------------------- document store probe

/**
 * The metadata container asked directly, not through the sync's key schema: the monthly check
 * (R5 check 2) proves the account answers, the container is readable and a write is permitted,
 * without needing the source table that a disaster may have taken away.
 */
export interface DocumentProbe {
  /** e.g. `cosmos://drsentinel/images`. */
  readonly name: string;
  /** Reads the container's definition; undefined when the account has no such container. */
  describe(signal?: AbortSignal): Promise<{ partitionKey: string } | undefined>;
  /** Creates a document whose partition key value is its id. */
  create(id: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<void>;
  read(id: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined>;
  delete(id: string, signal?: AbortSignal): Promise<void>;
}

/** The switch that stops new uploads at the source during a failover (R7) and lets them in again (R13). */
export interface UploadGate {
  /** What is gated, e.g. `s3://uploads-bucket`. */
  readonly name: string;
  /** Idempotent; other rules of the store's policy are kept. */
  block(signal?: AbortSignal): Promise<void>;
  /** Idempotent; removes only what `block` added. */
  unblock(signal?: AbortSignal): Promise<void>;
  isBlocked(signal?: AbortSignal): Promise<boolean>;
}
