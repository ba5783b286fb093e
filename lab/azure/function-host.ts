/**
 * The Function App's runtime in the lab: it watches the uploads container and, for every new
 * blob (or a blob whose content changed), runs each registered function whose `blobTrigger`
 * watches that container — as Azure's blob trigger does, by scanning the container. The demo
 * application's only function, `convert`, Base64-encodes the image and writes it to Cosmos in
 * chunks `{imageId, chunkIndex, content}`, where `imageId` is the blob's name in the container
 * (e.g. `drsentinel-e2e/<uuid>.png`) and each document's `id` is the project's `documentId`, so
 * the metadata sync and the function address the same documents. Every run is recorded in the
 * twin's telemetry, where the Monitor twin finds it.
 *
 * A blob that lands while no function is registered is passed over, not queued. Blobs that
 * drsentinel's sync replicated from S3 (they carry its fingerprint) are not converted: the demo
 * application converts what users upload on Azure, while replicas get their documents from the
 * DynamoDB → Cosmos sync.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { CosmosClient, type Container } from '@azure/cosmos';
import type { AzureTwinState, TwinFunction } from './state.js';

/**
 * The metadata key drsentinel's uploads sync writes on every blob it copies. The function app
 * knows it the way a deployed function would, written into its own code; test/lab/function-host
 * checks that it still names what the sync writes.
 */
export const REPLICA_MARK = 'drsentinel_fingerprint';

export interface FunctionHostOptions {
  state: AzureTwinState;
  blob: { connectionString: string; uploadsContainer: string };
  cosmos: { endpoint: string; key: string; database: string; container: string };
  log: (line: string) => void;
  /** How often the container is listed (default 500 ms: a blob trigger is not instant on Azure either, and Azurite serves every lab test). */
  pollIntervalMs?: number;
}

export interface FunctionHost {
  /** Resolves once a whole scan (listing and the runs it triggered) has begun and ended after this call. */
  nextScan(): Promise<void>;
  close(): Promise<void>;
}

/** Characters of Base64 per Cosmos document (a multiple of 4: each chunk decodes on its own). */
export const CHUNK_CHARS = 8 * 1024;
/** The longest Cosmos document id, in bytes. */
const MAX_ID_BYTES = 1023;

/**
 * A chunk's document as the standby's application writes it, by the documented layout (natural
 * JSON; `id` the base64url of the JSON array of the key's texts), with code of the twin's own:
 * an encoder shared with the product could not catch the product's mistakes.
 */
function chunkDocument(name: string, index: number, content: string): { id: string; imageId: string; chunkIndex: number; content: string } {
  const id = Buffer.from(JSON.stringify([name, String(index)]), 'utf8').toString('base64url');
  if (id.length > MAX_ID_BYTES) throw new Error(`blob name too long for the twin's application (its document id would be ${id.length} bytes): ${name.slice(0, 60)}…`);
  return { id, imageId: name, chunkIndex: index, content };
}

interface Trigger {
  container: ContainerClient;
  cosmos: Container;
  name: string;
}

type Implementation = (trigger: Trigger) => Promise<void>;

async function convert({ container, cosmos, name }: Trigger): Promise<void> {
  const bytes = await container.getBlobClient(name).downloadToBuffer();
  const base64 = bytes.toString('base64');
  const chunks = Math.max(1, Math.ceil(base64.length / CHUNK_CHARS));
  for (let i = 0; i < chunks; i++) {
    const content = base64.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
    await cosmos.items.upsert(chunkDocument(name, i, content));
  }
}

/** The code deployed behind each function name. */
const IMPLEMENTATIONS = new Map<string, Implementation>([['convert', convert]]);

function watches(fn: TwinFunction, container: string): boolean {
  return fn.bindings.some((b) => b.type === 'blobTrigger' && b.path?.split('/')[0] === container);
}

export async function startFunctionHost(o: FunctionHostOptions): Promise<FunctionHost> {
  const container = BlobServiceClient.fromConnectionString(o.blob.connectionString).getContainerClient(o.blob.uploadsContainer);
  const cosmosClient = new CosmosClient({ endpoint: o.cosmos.endpoint, key: o.cosmos.key, connectionPolicy: { enableEndpointDiscovery: false } });
  const cosmos = cosmosClient.database(o.cosmos.database).container(o.cosmos.container);
  const stopping = new AbortController();
  let lastProblem = '';

  /** Name → etag of every blob now in the container; empty while the container does not exist. */
  const listing = async (): Promise<Map<string, string>> => {
    const blobs = new Map<string, string>();
    try {
      for await (const blob of container.listBlobsFlat({ includeMetadata: true, abortSignal: stopping.signal })) {
        // A replica carries its metadata over the metadata sync already; converting it again
        // would write documents DynamoDB never had (and race the sync's own count check).
        if (blob.metadata?.[REPLICA_MARK] !== undefined) continue;
        blobs.set(blob.name, blob.properties.etag ?? '');
      }
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
    return blobs;
  };

  const run = async (fn: TwinFunction, implementation: Implementation, name: string) => {
    const started = Date.now();
    let message: string | undefined;
    try {
      await implementation({ container, cosmos, name });
    } catch (err) {
      message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    }
    o.state.recordFunctionRun({
      at: new Date(started),
      functionName: fn.name,
      invocationId: randomUUID(),
      trigger: `${o.blob.uploadsContainer}/${name}`,
      succeeded: message === undefined,
      durationMs: Date.now() - started,
      ...(message === undefined ? {} : { message }),
    });
    if (message !== undefined) o.log(`function host: ${fn.name} failed on ${name}: ${message}`);
  };

  const triggered = async (name: string) => {
    const runs = [...o.state.functions.values()].flatMap((fn) => {
      const implementation = IMPLEMENTATIONS.get(fn.name);
      return implementation && watches(fn, o.blob.uploadsContainer) ? [run(fn, implementation, name)] : [];
    });
    await Promise.all(runs);
  };

  let seen = await listing();
  /** Waiters for the end of the next scan that starts after they asked. */
  let waiting: Array<() => void> = [];
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await sleep(o.pollIntervalMs ?? 500, undefined, { signal: stopping.signal }).catch(() => {});
      if (stopping.signal.aborted) break;
      const scanFor = waiting;
      waiting = [];
      try {
        const now = await listing();
        const fresh = [...now].filter(([name, etag]) => seen.get(name) !== etag).map(([name]) => name);
        seen = now;
        await Promise.all(fresh.map(triggered));
        lastProblem = '';
      } catch (err) {
        const problem = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        // A fault injected on Blob lasts many polls: say it once.
        if (problem !== lastProblem && !stopping.signal.aborted) o.log(`function host: cannot list ${o.blob.uploadsContainer}: ${problem}`);
        lastProblem = problem;
      }
      for (const done of scanFor) done();
    }
    for (const done of waiting) done();
  })();

  return {
    nextScan: () => new Promise<void>((resolve) => (stopping.signal.aborted ? resolve() : waiting.push(resolve))),
    async close() {
      stopping.abort();
      await loop;
      cosmosClient.dispose();
    },
  };
}
