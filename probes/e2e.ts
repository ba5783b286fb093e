/**
 * The end-to-end test of the standby application (R11): a generated image is uploaded to the
 * uploads container through a short-lived SAS URL, as a client would; the conversion function
 * must run on it (seen in the application's logs) and write its Base64 chunks to Cosmos under
 * `imageId` = the blob's name; the chunks in `chunkIndex` order must decode to the exact bytes
 * uploaded. The blob and the chunks are removed afterwards, whatever happened.
 *
 * The SAS URL is a credential: it is used once and never appears in a reason or in evidence.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Check, Outcome } from '../src/core/result.js';
import { describeError, fail, pass, warn } from '../src/core/result.js';
import type { AppLogs, DocumentTable, FunctionRun, ObjectStore } from '../src/core/ports.js';
import type { Item } from '../src/core/items.js';

export interface EndToEndOptions {
  /** The uploads container; it must be able to presign a `put`. */
  uploads: ObjectStore;
  logs: AppLogs;
  /** The Cosmos container the function writes, keyed by imageId and chunkIndex. */
  cosmos: DocumentTable;
  functionName: string;
  /** How long the function may take to show up in the logs. */
  waitSeconds: number;
  /** How often the logs are asked while waiting (default 1 s). */
  pollMs?: number;
  /** Size of the generated image (default 24 KiB: several chunks). */
  imageBytes?: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const SAS_LIFETIME_SECONDS = 300;
const CLEANUP_TIMEOUT_MS = 30_000;
/** Upper bound on chunks read back: far above what one test image makes. */
const MAX_CHUNKS = 10_000;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Removes the SAS URL, and its query string wherever it was cut, from a message. */
function redact(text: string, url: string): string {
  const query = url.split('?')[1] ?? '';
  let out = text.split(url).join('<SAS URL>');
  if (query) out = out.split(query).join('<SAS>');
  return out.replace(/([?&]sig=)[^&\s]+/g, '$1<redacted>');
}

function errorText(err: unknown, url = ''): string {
  const cause = (err as { cause?: unknown }).cause;
  const text = cause ? `${describeError(err)} (${describeError(cause)})` : describeError(err);
  return url ? redact(text, url) : text;
}

/** Reads chunk 0, 1, 2… of the image until one is missing. */
async function readChunks(cosmos: DocumentTable, imageId: string, signal: AbortSignal): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const item = await cosmos.get({ imageId: { S: imageId }, chunkIndex: { N: String(i) } }, signal);
    if (!item) break;
    items.push(item);
  }
  return items;
}

async function waitForRun(o: EndToEndOptions, key: string, since: Date, signal: AbortSignal): Promise<FunctionRun | undefined> {
  const deadline = Date.now() + o.waitSeconds * 1000;
  for (;;) {
    const runs = await o.logs.functionRuns(o.functionName, since, signal);
    const run = runs.find((r) => r.trigger === key || r.trigger?.endsWith(`/${key}`));
    if (run || Date.now() >= deadline) return run;
    await sleep(Math.min(o.pollMs ?? 1000, Math.max(0, deadline - Date.now())), undefined, { signal });
  }
}

/** One run of the test: what was made, what was seen, and what must be cleaned up. */
interface Trial {
  key: string;
  image: Buffer;
  evidence: Record<string, unknown>;
  measurements: Record<string, number>;
  /** True once a PUT was attempted: even a failed one may have left a blob behind. */
  uploaded: boolean;
  /** The chunks read back, once read. */
  chunks?: Item[];
}

async function upload(o: EndToEndOptions, trial: Trial, signal: AbortSignal): Promise<Outcome | undefined> {
  const { key, image, evidence } = trial;
  if (!o.uploads.presign) return fail(`the uploads container ${o.uploads.name} cannot make SAS URLs`, evidence);
  const url = await o.uploads.presign(key, 'put', SAS_LIFETIME_SECONDS);
  trial.uploaded = true;
  try {
    const res = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/png' }, body: image, signal });
    await res.arrayBuffer();
    if (res.ok) return undefined;
    const code = res.headers.get('x-ms-error-code');
    return fail(`the upload of ${key} through a SAS URL was refused: HTTP ${res.status}${code ? ` ${code}` : ''}`, evidence);
  } catch (err) {
    return fail(`the upload of ${key} through a SAS URL failed: ${errorText(err, url)}`, evidence);
  }
}

async function attempt(o: EndToEndOptions, trial: Trial, signal: AbortSignal): Promise<Outcome> {
  const { key, image, evidence, measurements } = trial;
  const started = Date.now();
  const refused = await upload(o, trial, signal);
  if (refused) return refused;
  const uploadedAt = Date.now();
  measurements.uploadMs = uploadedAt - started;

  // A minute of slack: the logs' clock and ours need not agree.
  const run = await waitForRun(o, key, new Date(started - 60_000), signal);
  if (!run) return fail(`the function ${o.functionName} did not run on ${key} within ${o.waitSeconds} s`, evidence, measurements);
  measurements.functionSeenMs = Date.now() - uploadedAt;
  evidence.invocationId = run.invocationId;
  if (!run.succeeded) return fail(`the function ${o.functionName} ran on ${key} and failed (invocation ${run.invocationId})`, evidence, measurements);

  const chunks = (trial.chunks = await readChunks(o.cosmos, key, signal));
  evidence.chunks = measurements.chunks = chunks.length;
  if (chunks.length === 0) return fail(`the function ${o.functionName} ran on ${key} but Cosmos holds no chunk 0 for that imageId`, evidence, measurements);
  const decoded = Buffer.from(chunks.map((c) => (c.content && 'S' in c.content ? c.content.S : '')).join(''), 'base64');
  if (!decoded.equals(image)) {
    evidence.decodedSha256 = sha256(decoded);
    return fail(`the ${chunks.length} Cosmos chunks of ${key} decode to ${decoded.length} bytes that differ from the ${image.length} uploaded`, evidence, measurements);
  }
  return pass(`${key} (${image.length} bytes) was converted by ${o.functionName} into ${chunks.length} Cosmos chunks that decode to the exact bytes uploaded`, evidence, measurements);
}

export function endToEndCheck(o: EndToEndOptions): Check {
  return {
    id: 'e2e',
    title: `an image uploaded to ${o.uploads.name} is converted by ${o.functionName} into Cosmos`,
    async run(ctx) {
      const key = `drsentinel-e2e/${randomUUID()}.png`;
      const image = Buffer.concat([PNG_SIGNATURE, randomBytes(Math.max(0, (o.imageBytes ?? 24 * 1024) - PNG_SIGNATURE.length))]);
      const trial: Trial = { key, image, evidence: { imageId: key, bytes: image.length, sha256: sha256(image), functionName: o.functionName }, measurements: {}, uploaded: false };
      let outcome: Outcome;
      try {
        outcome = await attempt(o, trial, ctx.signal);
      } catch (err) {
        outcome = fail(`the end-to-end test of ${key} stopped: ${errorText(err)}`, trial.evidence, trial.measurements);
      }
      const problems = await cleanUp(o, trial);
      if (problems.length === 0) return outcome;
      outcome.evidence.cleanup = problems;
      if (outcome.status !== 'pass') return outcome;
      return warn(`${outcome.reason}, but the test data could not be removed: ${problems.join('; ')}`, outcome.evidence, outcome.measurements);
    },
  };
}

/** Removes the test blob and its chunks, on a signal of its own: a timed-out test still cleans up. */
async function cleanUp(o: EndToEndOptions, { key, uploaded, chunks }: Trial): Promise<string[]> {
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  const problems: string[] = [];
  if (uploaded) await o.uploads.delete(key, signal).catch((err: unknown) => problems.push(`the blob: ${errorText(err)}`));
  try {
    const items = chunks ?? (uploaded ? await readChunks(o.cosmos, key, signal) : []);
    if (items.length > 0) {
      const result = await o.cosmos.bulkWrite(items.map((item) => ({ type: 'delete' as const, item })), signal);
      if (result.failed.length > 0) problems.push(`${result.failed.length} chunks: ${result.failed[0]!.reason}`);
    }
  } catch (err) {
    problems.push(`the chunks: ${errorText(err)}`);
  }
  return problems;
}
