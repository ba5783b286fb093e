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
import type { AttributeValue, Item, KeyAttribute, KeySchema } from '../core/items.js';
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

// These two expressions are the contract for N and B; hoisted so a check allocates nothing.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isString = (v: unknown): boolean => typeof v === 'string';
const isNumber = (v: unknown): boolean => typeof v === 'string' && NUMBER.test(v);
const isBase64 = (v: unknown): boolean => typeof v === 'string' && BASE64.test(v);

/**
 * A check that failed: the end of its message and the way to the offending value, innermost
 * step first. The path is only spelled out once a problem is found, so a valid item (nearly
 * every one) costs no string work.
 */
class Problem {
  readonly steps: Array<string | number> = [];
  constructor(readonly tail: string) {}

  /** `name.inner[2] is not a valid N`: map steps joined by `.`, list steps as `[i]`. */
  describe(): string {
    let path = '';
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const step = this.steps[i]!;
      path = typeof step === 'number' ? `${path}[${step}]` : path ? `${path}.${step}` : step;
    }
    return path + this.tail;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkSet(inner: unknown, element: (v: unknown) => boolean): boolean {
  if (!Array.isArray(inner) || inner.length === 0) return false;
  for (let i = 0; i < inner.length; i++) if (!element(inner[i])) return false;
  return true;
}

function checkValue(value: unknown): Problem | undefined {
  if (!isPlainObject(value)) return new Problem(' is not a typed value');
  // Counted, not listed: Object.keys would allocate an array per value. JSON.parse gives plain
  // objects, so for…in sees exactly their own keys.
  let tags = 0;
  let tag = '';
  for (const name in value) {
    tag = name;
    tags++;
  }
  if (tags !== 1) return new Problem(` has ${tags} type tags`);
  const inner = value[tag];
  // A switch rather than a table of checks indexed by the tag: a tag such as `toString` or
  // `__proto__` must be unknown, not something found on Object.prototype.
  switch (tag) {
    case 'S':
      return isString(inner) ? undefined : new Problem(' is not a valid S');
    case 'N':
      return isNumber(inner) ? undefined : new Problem(' is not a valid N');
    case 'B':
      return isBase64(inner) ? undefined : new Problem(' is not a valid B');
    case 'BOOL':
      return typeof inner === 'boolean' ? undefined : new Problem(' is not a valid BOOL');
    case 'NULL':
      return inner === true ? undefined : new Problem(' is not a valid NULL');
    case 'SS':
      return checkSet(inner, isString) ? undefined : new Problem(' is not a valid SS set');
    case 'NS':
      return checkSet(inner, isNumber) ? undefined : new Problem(' is not a valid NS set');
    case 'BS':
      return checkSet(inner, isBase64) ? undefined : new Problem(' is not a valid BS set');
    case 'L': {
      if (!Array.isArray(inner)) return new Problem(' is not a list');
      for (let i = 0; i < inner.length; i++) {
        const problem = checkValue(inner[i]);
        if (problem) {
          problem.steps.push(i);
          return problem;
        }
      }
      return undefined;
    }
    case 'M':
      return checkMap(inner);
    default:
      return new Problem(` has the unknown type tag ${tag}`);
  }
}

function checkMap(value: unknown): Problem | undefined {
  if (!isPlainObject(value)) return new Problem(' is not a map');
  for (const name in value) {
    const problem = checkValue(value[name]);
    if (problem) {
      problem.steps.push(name);
      return problem;
    }
  }
  return undefined;
}

function checkKeyAttribute(item: Item, attr: KeyAttribute | undefined, what: string): string | undefined {
  if (!attr) return undefined;
  const value = item[attr.name] as AttributeValue | undefined;
  if (!value) return `${what} lacks the key attribute "${attr.name}"`;
  if (!(attr.type in value)) return `${what} key attribute "${attr.name}" is not of type ${attr.type}`;
  return undefined;
}

/** Why `value` is not an item (or keys) of this table, or undefined when it is one. */
function checkItem(value: unknown, schema: KeySchema, what: string): string | undefined {
  const problem = checkMap(value);
  if (problem) return problem.describe();
  return checkKeyAttribute(value as Item, schema.hashKey, what) ?? checkKeyAttribute(value as Item, schema.rangeKey, what);
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
    const problem = checkItem(image, schema, 'the item');
    return problem ? { op: 'malformed', reason: problem } : { op: 'put', item: image as Item };
  }
  if (parsed.Keys !== undefined) {
    const problem = checkItem(parsed.Keys, schema, 'the keys');
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
