/**
 * Typed items ↔ Cosmos documents. Documents are natural JSON, so the Azure application reads
 * `imageId`, `chunkIndex` and `content` directly; whatever natural JSON cannot hold exactly
 * is listed in a compact annotation `_t: { <path>: <type> }`:
 *
 *   SS, NS, BS  sets (natural form: arrays)          B  binary (natural form: base64 string)
 *   N           a number JSON cannot carry digit for digit (natural form: its decimal string)
 *
 * A path is the attribute name, then map keys and list indexes, joined by `/` with `~` and `/`
 * inside names written `~0` and `~1` (JSON Pointer escaping): `tags`, `meta/sizes/0`.
 * Unannotated values read back by their JSON type: string S, number N, boolean BOOL, null
 * NULL, array L, object M.
 *
 * `id` is base64url of the canonical primary key (stable, reversible, free of the `/ \ ? #`
 * Cosmos forbids). DynamoDB keys reach 3 KB, Cosmos ids 1023 bytes: a key whose encoding would
 * be longer gets the start of that encoding, `~` (never in base64url) and the base64url SHA-256
 * of the whole key — still stable, no longer reversible, the key itself being in the document's
 * fields. The partition key is the hash key attribute itself. Top-level names that clash with
 * Cosmos system properties (`id`, anything starting with `_`) are stored with one more leading `_`.
 *
 * A document a forward copy writes also carries `_drsentinelSource`, the canonical hash of the
 * DynamoDB item it was made from: the reverse flow tells by it whether DynamoDB changed that
 * item since. It is no attribute of the item and never reads back as one.
 */
import { createHash } from 'node:crypto';
import { canonicalHash, normalizeBase64, normalizeNumber } from './canonical.js';
import { attributeType, keyOf, type AttributeValue, type Item, type KeyAttribute, type KeySchema } from './items.js';
import type { ItemVersion } from './ports.js';

export interface CosmosDocument {
  id: string;
  [name: string]: unknown;
}

export type TypeAnnotation = 'SS' | 'NS' | 'BS' | 'B' | 'N';
type Annotations = Record<string, TypeAnnotation>;

/** The largest `id` Cosmos accepts, in bytes. */
export const MAX_ID_BYTES = 1023;
/** The largest partition key value Cosmos accepts (large partition keys), in UTF-8 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
/** Between the start of a digest id and its digest: never in base64url, allowed in a Cosmos id. */
const DIGEST_MARK = '~';
const ANNOTATIONS = '_t';
/** The reserved field of the source item's canonical hash. */
export const SOURCE_FIELD = '_drsentinelSource';
const SYSTEM_PROPERTIES = new Set(['id', '_rid', '_self', '_etag', '_attachments', '_ts', '_lsn', ANNOTATIONS, SOURCE_FIELD]);

export class DocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentError';
  }
}

// ------------------------------------------------------------------ names and keys

export function storedName(attribute: string): string {
  return attribute === 'id' || attribute.charCodeAt(0) === 95 /* _ */ ? `_${attribute}` : attribute;
}

function attributeName(stored: string): string {
  return stored.startsWith('_') ? stored.slice(1) : stored;
}

function childPath(parent: string, segment: string): string {
  const escaped = segment.includes('~') || segment.includes('/') ? segment.replaceAll('~', '~0').replaceAll('/', '~1') : segment;
  return parent === '' ? escaped : `${parent}/${escaped}`;
}

function keyText(value: AttributeValue, attr: KeyAttribute): string {
  if (attr.type === 'S' && 'S' in value) return value.S;
  if (attr.type === 'N' && 'N' in value) return normalizeNumber(value.N);
  if (attr.type === 'B' && 'B' in value) return normalizeBase64(value.B);
  throw new DocumentError(`key attribute "${attr.name}" should be of type ${attr.type}, it is ${attributeType(value)}`);
}

function keyAttributes(schema: KeySchema): KeyAttribute[] {
  return schema.rangeKey ? [schema.hashKey, schema.rangeKey] : [schema.hashKey];
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * base64url of the UTF-8 bytes of `text`. Keys are short and nearly always ASCII, whose
 * characters are their own UTF-8 bytes: encoding them here is cheaper than the round trip
 * through a Buffer, which any other text still takes.
 */
function base64url(text: string): string {
  const n = text.length;
  let out = '';
  for (let i = 0; i < n; i += 3) {
    const a = text.charCodeAt(i);
    const b = i + 1 < n ? text.charCodeAt(i + 1) : 0;
    const c = i + 2 < n ? text.charCodeAt(i + 2) : 0;
    if ((a | b | c) > 0x7f) return Buffer.from(text, 'utf8').toString('base64url');
    out += BASE64URL[a >> 2]! + BASE64URL[((a & 3) << 4) | (b >> 4)];
    if (i + 1 < n) out += BASE64URL[((b & 15) << 2) | (c >> 6)];
    if (i + 2 < n) out += BASE64URL[c & 63];
  }
  return out;
}

/** The Cosmos `id` of the item with this primary key. */
export function documentId(item: Item, schema: KeySchema): string {
  const key = keyOf(item, schema);
  const { hashKey, rangeKey } = schema;
  const hash = keyText(key[hashKey.name] as AttributeValue, hashKey);
  const texts = rangeKey ? [hash, keyText(key[rangeKey.name] as AttributeValue, rangeKey)] : [hash];
  const text = JSON.stringify(texts);
  const id = base64url(text);
  return id.length <= MAX_ID_BYTES ? id : digestId(id, text);
}

/**
 * The id of a key too long to spell out. The digest covers the whole key, so keys alike in their
 * first thousand bytes still get different ids; the start still decodes to the key's first
 * bytes, for whoever reads the id.
 */
function digestId(encoded: string, text: string): string {
  const digest = createHash('sha256').update(text, 'utf8').digest('base64url');
  return `${encoded.slice(0, MAX_ID_BYTES - DIGEST_MARK.length - digest.length)}${DIGEST_MARK}${digest}`;
}

/** The primary key encoded in a document `id` (inverse of `documentId`, for ids that spell their key out). */
export function keyFromId(id: string, schema: KeySchema): Item {
  if (id.includes(DIGEST_MARK)) throw new DocumentError(`id "${id.slice(0, 40)}…" is the digest of a long key: only the document's fields hold it`);
  const texts: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  const attrs = keyAttributes(schema);
  if (!Array.isArray(texts) || texts.length !== attrs.length || texts.some((t) => typeof t !== 'string')) {
    throw new DocumentError(`id "${id}" does not encode a primary key of this table`);
  }
  const key: Item = {};
  attrs.forEach((attr, i) => {
    const text = texts[i] as string;
    key[attr.name] = attr.type === 'S' ? { S: text } : attr.type === 'N' ? { N: text } : { B: text };
  });
  return key;
}

/** Cosmos partition key path of a container holding this table's documents. */
export function partitionKeyPath(schema: KeySchema): string {
  return `/${storedName(schema.hashKey.name)}`;
}

/**
 * The document's partition key value: its hash key attribute in natural form. A string hash
 * key always fits (DynamoDB's limit is Cosmos's, 2048 bytes); a binary one over 1536 bytes
 * does not once in base64, and is refused here rather than by the service.
 */
export function partitionKeyOf(doc: CosmosDocument, schema: KeySchema): string | number {
  const value = doc[storedName(schema.hashKey.name)];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new DocumentError(`document ${doc.id} has no usable partition key "${schema.hashKey.name}"`);
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: shorter strings need no counting.
  const bytes = typeof value === 'string' && value.length * 3 > MAX_PARTITION_KEY_BYTES ? Buffer.byteLength(value, 'utf8') : 0;
  if (bytes > MAX_PARTITION_KEY_BYTES) {
    throw new DocumentError(`hash key "${schema.hashKey.name}" too long for a Cosmos partition key: ${bytes} bytes, ${MAX_PARTITION_KEY_BYTES} at most`);
  }
  return value;
}

// ------------------------------------------------------------------ values

/**
 * The value of a non-negative integer of at most 15 digits without leading zeros (a size, an
 * index, a count: most numbers), which a double holds exactly and writes back as the same text.
 */
function smallInteger(text: string): number | undefined {
  if (text.length === 0 || text.length > 15 || (text.length > 1 && text.charCodeAt(0) === 48 /* 0 */)) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return n;
}

/** A JSON number when it reads back digit for digit (and without exponent), else undefined. */
function exactNumber(text: string): number | undefined {
  const small = smallInteger(text);
  if (small !== undefined) return small;
  // A finite number's own decimal form is `-?\d+(\.\d+)?` unless it has an exponent, so the
  // round trip plus these two exclusions is the whole test.
  const n = Number(text);
  return Number.isFinite(n) && String(n) === text && !text.includes('e') ? n : undefined;
}

function numberText(n: number): string {
  const text = String(n);
  return /e/i.test(text) ? normalizeNumber(text) : text;
}

/** The order in which `encode` has always read a value carrying more than one tag. */
const PRECEDENCE = ['S', 'BOOL', 'NULL', 'N', 'M', 'L', 'B', 'NS'] as const;

/**
 * The tag to encode `value` by: its only property, found by one `for…in` instead of a chain of
 * `in` tests. A value breaking the one-tag rule gets the first tag of PRECEDENCE it holds, as
 * that chain gave it; holding none, it fails in `attributeType`, as it always did.
 */
function tagOf(value: AttributeValue): string | undefined {
  let tag: string | undefined;
  let tags = 0;
  for (const name in value) {
    tag = name;
    tags++;
  }
  return tags === 1 ? tag : PRECEDENCE.find((t) => t in value);
}

/**
 * `parent` and `segment` rather than a ready path: the path is only built when a value needs an
 * annotation or holds children, which keeps the common scalar attribute free of string work.
 */
function encode(value: AttributeValue, parent: string, segment: string, notes: Annotations): unknown {
  const v = value as Partial<Record<string, unknown>>;
  switch (tagOf(value)) {
    case 'S':
      return v.S;
    case 'BOOL':
      return v.BOOL;
    case 'NULL':
      return null;
    case 'N': {
      const n = exactNumber(v.N as string);
      if (n !== undefined) return n;
      notes[childPath(parent, segment)] = 'N';
      return v.N;
    }
    case 'M': {
      const path = childPath(parent, segment);
      const map = v.M as Record<string, AttributeValue>;
      const out: Record<string, unknown> = {};
      for (const name in map) out[name] = encode(map[name]!, path, name, notes);
      return out;
    }
    case 'L': {
      const path = childPath(parent, segment);
      return (v.L as AttributeValue[]).map((element, i) => encode(element, path, String(i), notes));
    }
    case 'B':
      notes[childPath(parent, segment)] = 'B';
      return v.B;
    case 'NS':
      notes[childPath(parent, segment)] = 'NS';
      return (v.NS as string[]).map((n) => exactNumber(n) ?? n);
    default: {
      // Only SS and BS get this far: every other tag has its case, anything else throws here.
      const type = attributeType(value);
      notes[childPath(parent, segment)] = type as TypeAnnotation;
      return [...(v[type] as string[])];
    }
  }
}

function strings(json: unknown, path: string): string[] {
  if (Array.isArray(json) && json.every((s) => typeof s === 'string')) return json as string[];
  throw new DocumentError(`"${path}" is annotated as a set of strings but is ${JSON.stringify(json)?.slice(0, 60)}`);
}

function decodeAnnotated(json: unknown, path: string, type: TypeAnnotation): AttributeValue {
  switch (type) {
    case 'SS':
      return { SS: strings(json, path) };
    case 'BS':
      return { BS: strings(json, path) };
    case 'NS':
      if (!Array.isArray(json)) throw new DocumentError(`"${path}" is annotated NS but is not an array`);
      return { NS: json.map((n) => (typeof n === 'number' ? numberText(n) : String(n))) };
    case 'B':
    case 'N':
      if (typeof json !== 'string') throw new DocumentError(`"${path}" is annotated ${type} but is not a string`);
      return type === 'B' ? { B: json } : { N: json };
    default:
      throw new DocumentError(`"${path}" has an unknown type annotation ${JSON.stringify(type)}`);
  }
}

function decode(json: unknown, path: string, notes: Annotations | undefined): AttributeValue {
  const annotated = notes?.[path];
  if (annotated) return decodeAnnotated(json, path, annotated);
  if (json === null) return { NULL: true };
  switch (typeof json) {
    case 'string':
      return { S: json };
    case 'number':
      return { N: numberText(json) };
    case 'boolean':
      return { BOOL: json };
    case 'object': {
      if (Array.isArray(json)) return { L: json.map((v, i) => decode(v, notes ? childPath(path, String(i)) : '', notes)) };
      const map: Record<string, AttributeValue> = {};
      for (const [name, v] of Object.entries(json)) map[name] = decode(v, notes ? childPath(path, name) : '', notes);
      return { M: map };
    }
    default:
      throw new DocumentError(`"${path}" holds a ${typeof json}, which no DynamoDB type carries`);
  }
}

// ------------------------------------------------------------------ items

export function toDocument(item: Item, schema: KeySchema): CosmosDocument {
  const doc: CosmosDocument = { id: documentId(item, schema) };
  const notes: Annotations = {};
  for (const name in item) doc[storedName(name)] = encode(item[name] as AttributeValue, '', name, notes);
  for (const _ in notes) {
    // A named store, not doc[ANNOTATIONS]: V8 lets an object gain far fewer fast properties
    // through computed keys than by name, and this store turned every document with fifteen
    // attributes into a slow dictionary.
    doc._t = notes;
    break;
  }
  return doc;
}

/** The document of a forward copy: the item's, with the fingerprint of the version copied. */
export function toCopiedDocument(item: Item, schema: KeySchema): CosmosDocument {
  const doc = toDocument(item, schema);
  // By name rather than doc[SOURCE_FIELD], as `_t` in toDocument.
  doc._drsentinelSource = canonicalHash(item);
  return doc;
}

/** What a stored document tells of its item's history (see ItemVersion). */
export function documentVersion(doc: CosmosDocument): ItemVersion {
  const version: ItemVersion = {};
  if (typeof doc._ts === 'number') version.modified = new Date(doc._ts * 1000);
  const source = doc[SOURCE_FIELD];
  if (typeof source === 'string') version.sourceHash = source;
  return version;
}

export function fromDocument(doc: CosmosDocument, schema: KeySchema): Item {
  const raw = doc[ANNOTATIONS];
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw new DocumentError(`document ${doc.id} has a malformed "${ANNOTATIONS}" annotation`);
  }
  const notes = raw as Annotations | undefined;
  const item: Item = {};
  for (const [stored, json] of Object.entries(doc)) {
    if (SYSTEM_PROPERTIES.has(stored)) continue;
    const name = attributeName(stored);
    item[name] = decode(json, childPath('', name), notes);
  }
  for (const attr of keyAttributes(schema)) {
    const value = item[attr.name];
    if (!value) throw new DocumentError(`document ${doc.id} has no key attribute "${attr.name}"`);
    keyText(value, attr);
  }
  return item;
}
