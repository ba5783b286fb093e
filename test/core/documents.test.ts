import t from 'tap';
import { canonicalHash } from '../../src/core/canonical.js';
import { documentId, documentVersion, fromDocument, keyFromId, MAX_ID_BYTES, partitionKeyOf, SOURCE_FIELD, toCopiedDocument, toDocument } from '../../src/core/documents.js';
import type { Item, KeySchema } from '../../src/core/items.js';

const schema: KeySchema = { hashKey: { name: 'imageId', type: 'S' }, rangeKey: { name: 'chunkIndex', type: 'N' } };
const bytes = (...b: number[]) => Buffer.from(b).toString('base64');

const everyType: Item = {
  imageId: { S: 'img/1?#\\' },
  chunkIndex: { N: '3' },
  content: { B: bytes(0, 1, 2, 255) },
  empty: { S: '' },
  emptyBinary: { B: '' },
  big: { N: '12345678901234567890123456789012345678' },
  tiny: { N: '-0.000000000000000000000000000000000001' },
  ratio: { N: '0.5' },
  tags: { SS: ['b', 'a'] },
  sizes: { NS: ['1', '99999999999999999999999999999999999999', '2.5'] },
  blobs: { BS: [bytes(1), bytes(2, 3)] },
  nothing: { NULL: true },
  flag: { BOOL: false },
  list: { L: [{ S: 'x' }, { N: '1' }, { SS: ['in', 'list'] }, { L: [] }, { M: {} }] },
  meta: { M: { 'a/b~c': { NS: ['7'] }, inner: { M: { bin: { B: bytes(9) }, s: { S: 'text' } } } } },
  id: { S: 'an attribute called id' },
  _t: { S: 'an attribute called _t' },
  _ts: { N: '1' },
};

t.test('every attribute type survives the round trip exactly', async (t) => {
  const doc = toDocument(everyType, schema);
  t.strictSame(fromDocument(JSON.parse(JSON.stringify(doc)), schema), everyType);
  t.equal(canonicalHash(fromDocument(doc, schema)), canonicalHash(everyType));
});

t.test('documents are natural JSON the Azure application can read', async (t) => {
  const doc = toDocument(everyType, schema);
  t.equal(doc.imageId, 'img/1?#\\');
  t.equal(doc.chunkIndex, 3, 'a number JS holds exactly stays a JSON number');
  t.equal(doc.ratio, 0.5);
  t.equal(doc.content, bytes(0, 1, 2, 255), 'binary is base64');
  t.equal(doc.big, '12345678901234567890123456789012345678', 'a 38-digit number keeps its digits as a string');
  t.same(doc.sizes, [1, '99999999999999999999999999999999999999', 2.5]);
  t.same(doc.meta, { 'a/b~c': [7], inner: { bin: bytes(9), s: 'text' } });
  t.same(doc._t, {
    content: 'B', emptyBinary: 'B', big: 'N', tiny: 'N', tags: 'SS', sizes: 'NS', blobs: 'BS',
    'list/2': 'SS', 'meta/a~1b~0c': 'NS', 'meta/inner/bin': 'B',
  });
  t.equal(doc._id, 'an attribute called id', 'names clashing with Cosmos system properties get one more underscore');
  t.equal(doc.__t, 'an attribute called _t');
  t.equal(doc.__ts, 1);
  t.equal(partitionKeyOf(doc, schema), 'img/1?#\\');
});

t.test('an item with no annotation needs none', async (t) => {
  const doc = toDocument({ imageId: { S: 'a' }, chunkIndex: { N: '0' }, n: { N: '42' } }, schema);
  t.notOk('_t' in doc);
});

t.test('ids are stable, reversible and Cosmos-safe', async (t) => {
  const key: Item = { imageId: { S: 'a/b\\c?d#e é 😀' }, chunkIndex: { N: '10' } };
  const id = documentId(key, schema);
  t.match(id, /^[A-Za-z0-9_-]+$/);
  t.equal(documentId({ ...key, chunkIndex: { N: '1E1' } }, schema), id, 'the same DynamoDB number in another form gives the same id');
  t.strictSame(keyFromId(id, schema), key);
  t.not(documentId({ ...key, chunkIndex: { N: '11' } }, schema), id);
  const binarySchema: KeySchema = { hashKey: { name: 'k', type: 'B' } };
  t.same(keyFromId(documentId({ k: { B: bytes(1, 2) } }, binarySchema), binarySchema), { k: { B: bytes(1, 2) } });
});

t.test('ids keep the bytes they have always had', async (t) => {
  // Documents already in Cosmos are addressed by these: any change would orphan them.
  const id = (imageId: string, chunkIndex: string) => documentId({ imageId: { S: imageId }, chunkIndex: { N: chunkIndex } }, schema);
  t.equal(id('img-000001', '3'), 'WyJpbWctMDAwMDAxIiwiMyJd');
  t.equal(id('img-000001', '30'), 'WyJpbWctMDAwMDAxIiwiMzAiXQ');
  t.equal(id('img-000001', '300'), 'WyJpbWctMDAwMDAxIiwiMzAwIl0');
  t.equal(id('a', '1E2'), 'WyJhIiwiMTAwIl0');
  t.equal(id('é', '0'), 'WyLDqSIsIjAiXQ');
});

t.test('a number becomes a JSON number only when it reads back as the same text', async (t) => {
  const doc = toDocument({
    imageId: { S: 'i' }, chunkIndex: { N: '0' }, a: { N: '999999999999999' }, b: { N: '9007199254740993' }, c: { N: '007' },
    d: { N: '-0' }, e: { N: '1e3' }, f: { N: '-12' }, g: { N: '0.10' }, h: { N: '12.5' },
  }, schema);
  t.strictSame(JSON.parse(JSON.stringify(doc)), {
    id: 'WyJpIiwiMCJd', imageId: 'i', chunkIndex: 0, a: 999999999999999, b: '9007199254740993', c: '007', d: '-0', e: '1e3', f: -12, g: '0.10', h: 12.5,
    _t: { b: 'N', c: 'N', d: 'N', e: 'N', g: 'N' },
  });
});

t.test('a document keeps its attributes in item order, the annotation last', async (t) => {
  const names = Array.from({ length: 20 }, (_, i) => `a${i}`);
  const item: Item = { imageId: { S: 'i' }, chunkIndex: { N: '1' } };
  for (const name of names) item[name] = { SS: [name] };
  t.strictSame(Object.keys(toDocument(item, schema)), ['id', 'imageId', 'chunkIndex', ...names, '_t']);
});

t.test('the longest keys DynamoDB accepts get an id Cosmos accepts: stable, distinct, the key kept in the fields', async (t) => {
  const textSchema: KeySchema = { hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'S' } };
  const hash = 'ü'.repeat(1024);
  const item: Item = { pk: { S: hash }, sk: { S: 'ü'.repeat(511) + 'aa' }, n: { N: '1' } };
  const twin: Item = { ...item, sk: { S: 'ü'.repeat(511) + 'ab' } };
  t.equal(Buffer.byteLength(hash), 2048, 'a hash key at DynamoDB\'s limit');
  t.equal(Buffer.byteLength((item.sk as { S: string }).S), 1024, 'a range key at DynamoDB\'s limit');
  const id = documentId(item, textSchema);
  t.ok(Buffer.byteLength(id) <= MAX_ID_BYTES, `${Buffer.byteLength(id)} bytes`);
  t.match(id, /^[A-Za-z0-9_-]+~[A-Za-z0-9_-]{43}$/, 'the start of the encoding, the mark, the digest');
  t.equal(documentId({ ...item }, textSchema), id, 'stable');
  t.equal(documentId(twin, textSchema).slice(0, 900), id.slice(0, 900), 'keys alike for a thousand bytes share the start…');
  t.not(documentId(twin, textSchema), id, '…and not the id');
  const doc = toDocument(item, textSchema);
  t.equal(doc.id, id);
  t.strictSame(fromDocument(JSON.parse(JSON.stringify(doc)), textSchema), item, 'the key reads back from the fields');
  t.equal(partitionKeyOf(doc, textSchema), hash, 'a 2048-byte hash key is a partition key Cosmos takes');
  t.throws(() => keyFromId(id, textSchema), { message: /digest of a long key/ });
});

t.test('the key of the issue (700 × ü) and the boundary: encodings up to 1023 bytes are spelled out, longer ones digested', async (t) => {
  const issue = documentId({ imageId: { S: 'ü'.repeat(700) }, chunkIndex: { N: '1' } }, schema);
  t.ok(issue.length <= MAX_ID_BYTES && issue.includes('~'));
  const idOf = (n: number) => documentId({ imageId: { S: 'x'.repeat(n) }, chunkIndex: { N: '1' } }, schema);
  let n = 700;
  while (!idOf(n + 1).includes('~')) n++;
  t.ok(idOf(n).length >= MAX_ID_BYTES - 1, `the last spelled-out id, ${idOf(n).length} bytes`);
  t.strictSame(keyFromId(idOf(n), schema), { imageId: { S: 'x'.repeat(n) }, chunkIndex: { N: '1' } });
  t.equal(idOf(n + 1).length, MAX_ID_BYTES, 'the first digested one');
});

t.test('a binary hash key too long for a Cosmos partition key once in base64 is refused with a reason', async (t) => {
  const binarySchema: KeySchema = { hashKey: { name: 'k', type: 'B' } };
  const ok = toDocument({ k: { B: Buffer.alloc(1536, 7).toString('base64') } }, binarySchema);
  t.equal(Buffer.byteLength(partitionKeyOf(ok, binarySchema) as string), 2048);
  const tooLong = toDocument({ k: { B: Buffer.alloc(1537, 7).toString('base64') } }, binarySchema);
  t.throws(() => partitionKeyOf(tooLong, binarySchema), { message: /too long for a Cosmos partition key: 2052 bytes, 2048 at most/ });
});

t.test('a forward copy carries the fingerprint of its source item, which never reads back as an attribute', async (t) => {
  const doc = toCopiedDocument(everyType, schema);
  t.equal(doc[SOURCE_FIELD], canonicalHash(everyType));
  t.notOk(SOURCE_FIELD in toDocument(everyType, schema), 'only a copy carries it');
  const stored = { ...JSON.parse(JSON.stringify(doc)), _ts: 1_700_000_000 } as typeof doc;
  t.strictSame(fromDocument(stored, schema), everyType, 'the item reads back without it');
  t.strictSame(documentVersion(stored), { modified: new Date(1_700_000_000_000), sourceHash: canonicalHash(everyType) });
  t.strictSame(documentVersion({ id: 'x', imageId: 'i', chunkIndex: 1 }), {}, 'a document the application wrote tells nothing');
  const named: Item = { imageId: { S: 'i' }, chunkIndex: { N: '1' }, _drsentinelSource: { S: 'mine' }, drsentinelSource: { S: 'also mine' } };
  t.strictSame(fromDocument(toCopiedDocument(named, schema), schema), named, 'attributes of those names are the item\'s own');
});

t.test('a key attribute of the wrong type is refused', async (t) => {
  t.throws(() => toDocument({ imageId: { N: '1' }, chunkIndex: { N: '1' } }, schema), { message: /should be of type S/ });
  t.throws(() => fromDocument({ id: 'x', imageId: 'a' }, schema), { message: /no key attribute "chunkIndex"/ });
});

t.test('documents written by the Azure application read back as natural types', async (t) => {
  const item = fromDocument({ id: 'app-chosen', imageId: 'i', chunkIndex: 2, huge: 1e21, _rid: 'x', _etag: 'y', _ts: 5 }, schema);
  t.same(item, { imageId: { S: 'i' }, chunkIndex: { N: '2' }, huge: { N: '1000000000000000000000' } });
});

t.test('malformed annotations are reported by path', async (t) => {
  t.throws(() => fromDocument({ id: 'x', imageId: 'i', chunkIndex: 1, tags: 'nope', _t: { tags: 'SS' } }, schema), { message: /"tags"/ });
  t.throws(() => fromDocument({ id: 'x', imageId: 'i', chunkIndex: 1, _t: 'SS' }, schema), { message: /malformed/ });
});
