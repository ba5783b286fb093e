import t from 'tap';
import type { KeySchema } from '../../src/core/items.js';
import { parseExportLine } from '../../src/sync/export-reader.js';

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
  ];
  for (const [what, line, reason] of cases) {
    const parsed = parseExportLine(line, schema);
    t.equal(parsed.op, 'malformed', `${what}: malformed`);
    if (parsed.op === 'malformed') t.match(parsed.reason, reason, `${what}: ${parsed.reason}`);
  }
});
