/**
 * Builds every adapter from the config: the one place that knows which implementation
 * serves which port. Emulator workarounds arrive here as config options (path-style S3,
 * checksums only when required, Cosmos without endpoint discovery), never as special cases.
 *
 * A process takes its adapters from `adapterFactory`; `buildAdapters` is its storage part,
 * whole in itself for a process that only moves data.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, newPipeline } from '@azure/storage-blob';
import type { Config } from '../config/schema.js';
import { readSecret } from '../config/secrets.js';
import type { KeySchema } from '../core/items.js';
import type { TableExporter } from '../core/exports.js';
import type { DocumentTable, ObjectStore, UploadGate } from '../core/ports.js';
import { awsClientConfig } from './aws/client-config.js';
import { S3UploadGate } from './aws/upload-gate.js';
import { S3ObjectStore } from './aws/s3.js';
import { BlobObjectStore } from './azure/blob.js';
import { LazyDocumentTable, LazyExporter } from './lazy.js';
import { once } from './once.js';
import { requestTimeoutMs, storageTimeoutFactory } from './timeouts.js';
import { cosmosContainerName, dynamoTableName } from './table-names.js';
import type { ControlPlane } from './control.js';
import type { Notifications } from './notifications.js';
import type { TableAdapters } from './tables.js';

export type { ControlPlane } from './control.js';
export type { Notifications } from './notifications.js';

export interface Adapters {
  objects: {
    awsSite: ObjectStore;
    awsUploads: ObjectStore;
    awsExports: ObjectStore;
    azureSite: ObjectStore;
    azureUploads: ObjectStore;
    azureStaging: ObjectStore;
  };
  tables: {
    dynamodb: DocumentTable;
    /** Documents keyed by the DynamoDB table's own key schema (read from DynamoDB when first needed). */
    cosmos: DocumentTable;
  };
  /** DynamoDB's point-in-time exports of the metadata table into the exports bucket. */
  exporter: TableExporter;
  /** Blocks and unblocks new uploads at the source (R7, R13). */
  uploadGate: UploadGate;
  /** The Cosmos container read with a key schema known otherwise (an export's, a saved one) — for when DynamoDB cannot be asked. */
  cosmosWithSchema(schema: KeySchema): DocumentTable;
  /** Releases every client's sockets. */
  close(): void;
}

/**
 * The Storage SDK's own retries start at 4 s and ignore Retry-After: they are kept short, and
 * the engines' retry policy (core/retry.ts, which honours Retry-After) does the patient part.
 * Its `tryTimeoutInMs` is only the server-side limit it asks for, so a hung try is bounded by a
 * policy of ours, which only a pipeline built here can take: the client made from the
 * connection string serves to read its URL and credential.
 */
function blobService(connectionString: string, timeoutMs: number): BlobServiceClient {
  const parsed = BlobServiceClient.fromConnectionString(connectionString);
  const pipeline = newPipeline(parsed.credential, { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 } });
  pipeline.factories.push(storageTimeoutFactory(timeoutMs));
  return new BlobServiceClient(parsed.url, pipeline);
}

/** The storage adapters. Secrets are read from `env` (or their files) now, once. */
export function buildAdapters(config: Config, env: NodeJS.ProcessEnv = process.env): Adapters {
  const { s3: s3Config, dynamodb: dynamoConfig } = config.aws;
  const { blob: blobConfig, cosmos: cosmosConfig } = config.azure;

  const s3 = new S3Client({
    ...awsClientConfig(config, s3Config.endpoint, env),
    forcePathStyle: s3Config.forcePathStyle,
    ...(s3Config.checksumsWhenRequiredOnly
      ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const }
      : {}),
  });
  const blob = blobService(readSecret(blobConfig.connectionString, env), requestTimeoutMs(config));
  // DynamoDB and Cosmos are loaded when a table is first used (see tables.ts); the key is read
  // now, so that a missing secret still fails here.
  const cosmosKey = readSecret(cosmosConfig.key, env);
  let tables: TableAdapters | undefined;
  let closed = false;
  const loadTables = once(() =>
    import('./tables.js').then((m) => {
      if (closed) throw new Error('the adapters are closed');
      return (tables = m.buildTables(config, env, cosmosKey));
    }),
  );
  const cosmosName = cosmosContainerName(cosmosConfig.database, cosmosConfig.container);

  const bucket = (name: string) => new S3ObjectStore(s3, name);
  const container = (name: string) => new BlobObjectStore(blob.getContainerClient(name), { idleTimeoutMs: requestTimeoutMs(config) });

  return {
    objects: {
      awsSite: bucket(s3Config.buckets.site),
      awsUploads: bucket(s3Config.buckets.uploads),
      awsExports: bucket(s3Config.buckets.exports),
      azureSite: container(blobConfig.containers.site),
      azureUploads: container(blobConfig.containers.uploads),
      azureStaging: container(blobConfig.containers.staging),
    },
    tables: {
      dynamodb: new LazyDocumentTable(dynamoTableName(dynamoConfig.table), async () => (await loadTables()).dynamodb),
      cosmos: new LazyDocumentTable(cosmosName, async () => (await loadTables()).cosmos),
    },
    exporter: new LazyExporter(async () => (await loadTables()).exporter),
    cosmosWithSchema: (schema) => new LazyDocumentTable(cosmosName, once(() => loadTables().then((t) => t.cosmosWithSchema(schema)))),
    uploadGate: new S3UploadGate(s3, s3Config.buckets.uploads),
    close() {
      closed = true;
      s3.destroy();
      tables?.close();
    },
  };
}

/**
 * Every adapter a process may use, each group built when first asked for, all released by one
 * `close()`. The control planes and the notification channels are loaded only then, so that a
 * process that only syncs never loads their SDKs.
 */
export interface AdapterFactory {
  /** S3, Blob, DynamoDB and Cosmos; their secrets are read on the first call. */
  storage(): Adapters;
  /** ARM, Key Vault, Monitor, CloudWatch, the DNS resolvers and the Cosmos probe (control.ts). */
  control(): Promise<ControlPlane>;
  /** The team's channels and the status page (notifications.ts). */
  notifications(): Promise<Notifications>;
  /** Releases every client built so far; nothing is built after. */
  close(): void;
}

export function adapterFactory(config: Config, env: NodeJS.ProcessEnv = process.env): AdapterFactory {
  let closed = false;
  let control: (ControlPlane & { close(): void }) | undefined;
  const open = <T>(build: () => T): T => {
    if (closed) throw new Error('the adapters are closed');
    return build();
  };
  const storage = once(() => open(() => buildAdapters(config, env)));
  return {
    storage,
    control: once(() => import('./control.js').then((m) => open(() => (control = m.buildControlPlane(config, env))))),
    notifications: once(() => import('./notifications.js').then((m) => open(() => m.buildNotifications(config, env)))),
    close() {
      closed = true;
      if (storage.built()) storage().close();
      control?.close();
    },
  };
}
