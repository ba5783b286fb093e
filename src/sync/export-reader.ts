/**
 * Reads a DynamoDB export (full or incremental) from object storage as a stream of records,
 * each carrying its file and line so that a malformed one can be quarantined by location
 * while the rest goes on. Every data file's bytes are checked against the manifest's MD5.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { text } from 'node:stream/consumers';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ManifestFile, ManifestSummary } from '../core/exports.js';
import type { AttributeValue, Item, KeySchema } from '../core/items.js';
import type { ObjectStore } from '../core/ports.js';
import { IntegrityError } from '../core/retry.js';

export type ExportRecord = { file: string; line: number } & (
  | { op: 'put'; item: Item }
  | { op: 'delete'; key: Item }
  | { op: 'malformed'; reason: string }
);

async function readText(store: ObjectStore, key: string, signal?: AbortSignal): Promise<string> {
  return text((await store.get(key, signal)).body);
}

/** `<prefix>/AWSDynamoDB/<id>/manifest-summary.json` → `<prefix>/AWSDynamoDB/<id>/`. */
export function exportFolder(manifestKey: string): string {
  return manifestKey.slice(0, manifestKey.lastIndexOf('/') + 1);
}

export async function readManifest(store: ObjectStore, manifestKey: string, signal?: AbortSignal): Promise<{ summary: ManifestSummary; files: ManifestFile[] }> {
  const summary = JSON.parse(await readText(store, manifestKey, signal)) as ManifestSummary;
  if (typeof summary.itemCount !== 'number' || typeof summary.manifestFilesS3Key !== 'string') {
    throw new IntegrityError(`${manifestKey} is not a DynamoDB export manifest (no itemCount or manifestFilesS3Key)`);
  }
  if (summary.outputFormat !== 'DYNAMODB_JSON') throw new IntegrityError(`${manifestKey}: output format ${summary.outputFormat} is not DYNAMODB_JSON`);
  const text = await readText(store, summary.manifestFilesS3Key, signal);
  const files = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ManifestFile);
  const listed = files.reduce((n, f) => n + f.itemCount, 0);
  if (listed !== summary.itemCount) throw new IntegrityError(`${manifestKey}: the data files hold ${listed} items but the summary says ${summary.itemCount}`);
  return { summary, files };
}

const SCALAR_CHECKS: Record<string, (v: unknown) => boolean> = {
  S: (v) => typeof v === 'string',
  N: (v) => typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v),
  B: (v) => typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v),
  BOOL: (v) => typeof v === 'boolean',
  NULL: (v) => v === true,
};

function checkValue(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path} is not a typed value`;
  const tags = Object.keys(value);
  if (tags.length !== 1) return `${path} has ${tags.length} type tags`;
  const tag = tags[0]!;
  const inner = (value as Record<string, unknown>)[tag];
  const scalar = SCALAR_CHECKS[tag];
  if (scalar) return scalar(inner) ? undefined : `${path} is not a valid ${tag}`;
  if (tag === 'SS' || tag === 'NS' || tag === 'BS') {
    const element = SCALAR_CHECKS[tag[0]!]!;
    if (!Array.isArray(inner) || inner.length === 0 || !inner.every(element)) return `${path} is not a valid ${tag} set`;
    return undefined;
  }
  if (tag === 'L') {
    if (!Array.isArray(inner)) return `${path} is not a list`;
    for (let i = 0; i < inner.length; i++) {
      const problem = checkValue(inner[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (tag === 'M') return checkItem(inner, path);
  return `${path} has the unknown type tag ${tag}`;
}

function checkItem(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path} is not a map`;
  for (const [name, attr] of Object.entries(value)) {
    const problem = checkValue(attr, path ? `${path}.${name}` : name);
    if (problem) return problem;
  }
  return undefined;
}

function checkKey(item: Item, schema: KeySchema, what: string): string | undefined {
  for (const attr of [schema.hashKey, schema.rangeKey]) {
    if (!attr) continue;
    const value = item[attr.name] as AttributeValue | undefined;
    if (!value) return `${what} lacks the key attribute "${attr.name}"`;
    if (!(attr.type in value)) return `${what} key attribute "${attr.name}" is not of type ${attr.type}`;
  }
  return undefined;
}

/** One line of a DYNAMODB_JSON export, full (`{"Item":…}`) or incremental (`{"Keys":…,"NewImage"?:…}`). */
export function parseExportLine(text: string, schema: KeySchema): { op: 'put'; item: Item } | { op: 'delete'; key: Item } | { op: 'malformed'; reason: string } {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return { op: 'malformed', reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null) return { op: 'malformed', reason: 'not a JSON object' };
  const image = parsed.Item ?? parsed.NewImage;
  if (image !== undefined) {
    const problem = checkItem(image, '') ?? checkKey(image as Item, schema, 'the item');
    return problem ? { op: 'malformed', reason: problem } : { op: 'put', item: image as Item };
  }
  if (parsed.Keys !== undefined) {
    const problem = checkItem(parsed.Keys, '') ?? checkKey(parsed.Keys as Item, schema, 'the keys');
    return problem ? { op: 'malformed', reason: problem } : { op: 'delete', key: parsed.Keys as Item };
  }
  return { op: 'malformed', reason: 'neither "Item", "NewImage" nor "Keys"' };
}

/** Streams the records of one data file, then checks the file's MD5 against the manifest. */
export async function* readDataFile(store: ObjectStore, stagedKey: string, file: ManifestFile, schema: KeySchema, signal?: AbortSignal): AsyncGenerator<ExportRecord> {
  const { body } = await store.get(stagedKey, signal);
  const hash = createHash('md5');
  const tee = new PassThrough();
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  body.on('error', (err) => tee.destroy(err));
  const gunzip = createGunzip();
  gunzip.on('error', (err) => tee.destroy(err));
  body.pipe(gunzip).pipe(tee);
  const lines = createInterface({ input: tee, crlfDelay: Infinity });
  let line = 0;
  let items = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      items++;
      yield { file: file.dataFileS3Key, line, ...parseExportLine(text, schema) };
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw new IntegrityError(`${file.dataFileS3Key}: not a valid gzip file after line ${line} (${(err as Error).message})`);
    throw err;
  } finally {
    // A reader that stops early (a failed import, an abort) must not leave the download open.
    body.destroy();
  }
  const md5 = hash.digest('base64');
  if (md5 !== file.md5Checksum) throw new IntegrityError(`${file.dataFileS3Key}: MD5 ${md5} differs from the manifest's ${file.md5Checksum}`);
  if (items !== file.itemCount) throw new IntegrityError(`${file.dataFileS3Key}: ${items} lines but the manifest says ${file.itemCount}`);
}
