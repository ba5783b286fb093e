import t from 'tap';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { ManifestFile } from '../../src/core/exports.js';
import type { KeySchema } from '../../src/core/items.js';
import type { ObjectInfo, ObjectStore } from '../../src/core/ports.js';
import { IntegrityError } from '../../src/core/retry.js';
import { parseExportLine, readDataFile, readManifest, type ExportRecord } from '../../src/sync/export-reader.js';

const schema: KeySchema = { hashKey: { name: 'imageId', type: 'S' }, rangeKey: { name: 'chunkIndex', type: 'N' } };
const keys = { imageId: { S: 'img-1' }, chunkIndex: { N: '3' } };
const item = { ...keys, content: { S: 'aGVsbG8=' }, big: { N: '12345678901234567890123456789012345678' }, tags: { SS: ['a', 'b'] }, nested: { M: { l: { L: [{ NULL: true }, { BOOL: false }, { B: 'AAE=' }] } } } };

t.test('a full export line is a put of its item', async (t) => {
  t.strictSame(parseExportLine(JSON.stringify({ Item: item }), schema), { op: 'put', item });
});

t.test('an incremental line with a NewImage is a put of the new image', async (t) => {
  const line = { Metadata: { WriteTimestampMicros: { N: '1700000000000000' } }, Keys: keys, NewImage: item };
  t.strictSame(parseExportLine(JSON.stringify(line), schema), { op: 'put', item });
});

t.test('an incremental line without a NewImage is a delete of its keys', async (t) => {
  const line = { Metadata: { WriteTimestampMicros: { N: '1700000000000000' } }, Keys: keys };
  t.strictSame(parseExportLine(JSON.stringify(line), schema), { op: 'delete', key: keys });
});

t.test('malformed lines are reported with the reason', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['broken JSON', '{"Item": {"imageId": {"S": "x"}', /^not JSON: /],
    ['a JSON value that is not an object', '42', /^not a JSON object$/],
    ['an object with nothing to import', '{"Metadata": {}}', /^neither "Item", "NewImage" nor "Keys"$/],
    ['an item without its range key', JSON.stringify({ Item: { imageId: { S: 'x' }, content: { S: 'y' } } }), /^the item lacks the key attribute "chunkIndex"$/],
    ['keys without the hash key', JSON.stringify({ Keys: { chunkIndex: { N: '1' } } }), /^the keys lacks? the key attribute "imageId"$/],
    ['a key attribute of the wrong type', JSON.stringify({ Item: { imageId: { S: 'x' }, chunkIndex: { S: '1' } } }), /^the item key attribute "chunkIndex" is not of type N$/],
    ['an unknown type tag', JSON.stringify({ Item: { ...keys, odd: { X: 'y' } } }), /^odd has the unknown type tag X$/],
    ['two type tags on one value', JSON.stringify({ Item: { ...keys, odd: { S: 'y', N: '1' } } }), /^odd has 2 type tags$/],
    ['a nested wrong tag', JSON.stringify({ Item: { ...keys, m: { M: { l: { L: [{ S: 'ok' }, { Q: 1 }] } } } } }), /^m\.l\[1\] has the unknown type tag Q$/],
    ['an invalid number', JSON.stringify({ Item: { ...keys, size: { N: '12abc' } } }), /^size is not a valid N$/],
    ['a number given as a JSON number', JSON.stringify({ Item: { ...keys, size: { N: 12 } } }), /^size is not a valid N$/],
    ['an invalid number in a set', JSON.stringify({ Item: { ...keys, sizes: { NS: ['1', 'two'] } } }), /^sizes is not a valid NS set$/],
    ['an empty set', JSON.stringify({ Item: { ...keys, tags: { SS: [] } } }), /^tags is not a valid SS set$/],
    ['binary that is not base64', JSON.stringify({ Item: { ...keys, bin: { B: 'not base64!' } } }), /^bin is not a valid B$/],
    ['NULL other than true', JSON.stringify({ Item: { ...keys, nothing: { NULL: false } } }), /^nothing is not a valid NULL$/],
    ['an item that is not a map', JSON.stringify({ Item: [keys] }), /^ is not a map$/],
    ['an attribute that is not a typed value', JSON.stringify({ Item: { ...keys, plain: 'text' } }), /^plain is not a typed value$/],
    ['a value without a type tag', JSON.stringify({ Item: { ...keys, m: { M: { empty: {} } } } }), /^m\.empty has 0 type tags$/],
    ['a string that is not one', JSON.stringify({ Item: { ...keys, s: { S: 1 } } }), /^s is not a valid S$/],
    ['a BOOL that is not one', JSON.stringify({ Item: { ...keys, flag: { BOOL: 'true' } } }), /^flag is not a valid BOOL$/],
    ['a list that is not one', JSON.stringify({ Item: { ...keys, l: { L: { 0: { S: 'x' } } } } }), /^l is not a list$/],
    ['a map that is not one', JSON.stringify({ Item: { ...keys, m: { M: [{ S: 'x' }] } } }), /^m is not a map$/],
    ['a number set holding JSON numbers', JSON.stringify({ Item: { ...keys, sizes: { NS: ['1', 2] } } }), /^sizes is not a valid NS set$/],
    ['binary that is not base64 in a set', JSON.stringify({ Item: { ...keys, bins: { BS: ['AAE=', 'AA E='] } } }), /^bins is not a valid BS set$/],
    ['a set that is not an array', JSON.stringify({ Item: { ...keys, tags: { SS: 'a' } } }), /^tags is not a valid SS set$/],
    ['a fault deep in lists and maps', JSON.stringify({ Item: { ...keys, a: { L: [{ S: 'x' }, { L: [{ M: { b: { M: { c: { N: '1', S: '1' } } } } }] }] } } }), /^a\[1\]\[0\]\.b\.c has 2 type tags$/],
    ['only the first fault, in attribute order', JSON.stringify({ Item: { ...keys, first: { N: 'x' }, second: { X: 1 } } }), /^first is not a valid N$/],
    ['a type tag named after an Object.prototype member', JSON.stringify({ Item: { ...keys, odd: { toString: 'y' } } }), /^odd has the unknown type tag toString$/],
    ['__proto__ as a type tag', `{"Item":{"imageId":{"S":"x"},"chunkIndex":{"N":"1"},"odd":{"__proto__":{"S":"y"}}}}`, /^odd has the unknown type tag __proto__$/],
  ];
  for (const [what, line, reason] of cases) {
    const parsed = parseExportLine(line, schema);
    t.equal(parsed.op, 'malformed', `${what}: malformed`);
    if (parsed.op === 'malformed') t.match(parsed.reason, reason, `${what}: ${parsed.reason}`);
  }
});

t.test('every number and base64 form the export format allows is accepted', async (t) => {
  const numbers = ['0', '-0', '+7', '1.', '.5', '-1.25', '1e5', '1E+5', '2.5e-3', '12345678901234567890123456789012345678'];
  const binaries = ['', 'AA==', 'AAE=', 'AAEC', 'a+/9'];
  const odd = {
    ...keys,
    m: { M: { n: { L: numbers.map((N) => ({ N })) }, b: { L: binaries.map((B) => ({ B })) } } },
    ns: { NS: numbers },
    bs: { BS: ['AA==', 'AAEC'] },
  };
  t.strictSame(parseExportLine(JSON.stringify({ Item: odd }), schema), { op: 'put', item: odd });
  for (const N of ['', '+', '.', '1e', 'e1', '1.2.3', '0x10', ' 1', '1 ', 'NaN', 'Infinity', '١']) {
    t.match(parseExportLine(JSON.stringify({ Item: { ...keys, n: { N } } }), schema), { op: 'malformed', reason: 'n is not a valid N' }, JSON.stringify(N));
  }
  for (const B of ['AA===', 'A=A', 'AA-_', 'AA\n', 'é']) {
    t.match(parseExportLine(JSON.stringify({ Item: { ...keys, b: { B } } }), schema), { op: 'malformed', reason: 'b is not a valid B' }, JSON.stringify(B));
  }
});

/** An ObjectStore port over a map, for the reader alone (the engine's tests use the real stores). */
function storeOf(objects: Record<string, Buffer | string>): ObjectStore {
  return {
    get: async (key: string) => {
      const body = objects[key];
      if (body === undefined) throw new Error(`no ${key}`);
      return { info: { key } as ObjectInfo, body: Readable.from([Buffer.from(body)]) };
    },
  } as unknown as ObjectStore;
}

const dataFile = (lines: string[]) => gzipSync(lines.map((l) => l + '\n').join(''));
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');

async function collect(records: AsyncIterable<ExportRecord>): Promise<{ records: ExportRecord[]; error?: unknown }> {
  const out: ExportRecord[] = [];
  try {
    for await (const r of records) out.push(r);
    return { records: out };
  } catch (error) {
    return { records: out, error };
  }
}

t.test('a data file is read line by line, each record with its file and line', async (t) => {
  const gz = dataFile([JSON.stringify({ Item: item }), '', 'garbage', JSON.stringify({ Keys: keys })]);
  const file: ManifestFile = { itemCount: 3, md5Checksum: md5(gz), dataFileS3Key: 'x/data/a.json.gz' };
  const { records, error } = await collect(readDataFile(storeOf({ 'x/data/a.json.gz': gz }), 'x/data/a.json.gz', file, schema));
  t.equal(error, undefined);
  t.match(records, [
    { file: 'x/data/a.json.gz', line: 1, op: 'put', item },
    { file: 'x/data/a.json.gz', line: 3, op: 'malformed', reason: /^not JSON/ },
    { file: 'x/data/a.json.gz', line: 4, op: 'delete', key: keys },
  ]);
});

t.test('a data file whose bytes do not have the manifest MD5 ends in an IntegrityError', async (t) => {
  const gz = dataFile([JSON.stringify({ Item: item })]);
  const file: ManifestFile = { itemCount: 1, md5Checksum: md5(Buffer.from('other bytes')), dataFileS3Key: 'd.json.gz' };
  const { error } = await collect(readDataFile(storeOf({ 'd.json.gz': gz }), 'd.json.gz', file, schema));
  t.type(error, IntegrityError);
  t.match(error, { message: /^d\.json\.gz: MD5 .* differs from the manifest's/ });
});

t.test('a data file with fewer lines than the manifest says ends in an IntegrityError', async (t) => {
  const gz = dataFile([JSON.stringify({ Item: item })]);
  const file: ManifestFile = { itemCount: 2, md5Checksum: md5(gz), dataFileS3Key: 'd.json.gz' };
  const { error } = await collect(readDataFile(storeOf({ 'd.json.gz': gz }), 'd.json.gz', file, schema));
  t.match(error, { name: 'IntegrityError', message: /1 lines but the manifest says 2/ });
});

t.test('a manifest whose files do not add up to its item count is refused', async (t) => {
  const files = [{ itemCount: 2, md5Checksum: 'x', dataFileS3Key: 'a' }, { itemCount: 3, md5Checksum: 'y', dataFileS3Key: 'b' }];
  const store = storeOf({
    'e/manifest-summary.json': JSON.stringify({ exportArn: 'arn', itemCount: 6, manifestFilesS3Key: 'e/manifest-files.json', outputFormat: 'DYNAMODB_JSON' }),
    'e/manifest-files.json': files.map((f) => JSON.stringify(f)).join('\n') + '\n',
  });
  await t.rejects(readManifest(store, 'e/manifest-summary.json'), { name: 'IntegrityError', message: /hold 5 items but the summary says 6/ });
  const ion = storeOf({ 'e/manifest-summary.json': JSON.stringify({ exportArn: 'arn', itemCount: 5, manifestFilesS3Key: 'e/manifest-files.json', outputFormat: 'ION' }) });
  await t.rejects(readManifest(ion, 'e/manifest-summary.json'), { message: /output format ION is not DYNAMODB_JSON/ });
});

t.test('a data file that is not valid gzip fails the read instead of hanging or passing', async (t) => {
  const gz = dataFile([JSON.stringify({ Item: item }), JSON.stringify({ Item: item })]);
  const truncated = gz.subarray(0, gz.length - 12);
  const file: ManifestFile = { itemCount: 2, md5Checksum: md5(truncated), dataFileS3Key: 't.json.gz' };
  const { error } = await collect(readDataFile(storeOf({ 't.json.gz': truncated }), 't.json.gz', file, schema));
  t.type(error, IntegrityError, 'the read fails as an integrity fault');
  t.match(error, { message: /^t\.json\.gz: not a valid gzip file after line \d+ \(unexpected end of file\)/ });
});
