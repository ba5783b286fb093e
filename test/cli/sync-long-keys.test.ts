/**
 * Every key DynamoDB accepts reaches Cosmos: items whose hash keys are 2048 bytes of multi-byte
 * characters (two of them equal up to their last character) sync, verify and read back exactly,
 * and `sync metadata` exits 0 with them present (before, they were quarantined and the flow failed
 * every day). The lab's range key is a number; a 1024-byte string range key is in the
 * DocumentTable contract suite (test/contract/document-table.ts).
 */
import t from 'tap';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { main } from '../../src/cli.js';
import { adaptersFor, labSdk } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => {});
const table = lab.endpoints.aws.dynamodb.table;

t.test('the longest legal keys sync and round-trip exactly', async (t) => {
  // The lab's table: hash key imageId (S), range key chunkIndex (N); a second item differs only after byte 1023.
  const longHash = 'ü'.repeat(1024); // 2048 bytes in UTF-8
  const twin = `${'ü'.repeat(1023)}a`; // equal to longHash in the first 2046 bytes
  for (const [imageId, body] of [[longHash, 'first'], [twin, 'second'], ['ü'.repeat(700), 'the issue\'s own']]) {
    await sdk.dynamodb.send(new PutItemCommand({ TableName: table, Item: { imageId: { S: imageId! }, chunkIndex: { N: '1' }, content: { S: body! } } }));
  }
  let stdout = '';
  let stderr = '';
  const code = await main(['sync', 'metadata', '--config', lab.configFile], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: process.env });
  t.equal(code, 0, `${stdout}\n${stderr}`);
  t.match(stdout, /^metadata: succeeded/m);
  for (const [imageId, body] of [[longHash, 'first'], [twin, 'second'], ['ü'.repeat(700), 'the issue\'s own']]) {
    const found = await adapters.tables.cosmos.get({ imageId: { S: imageId! }, chunkIndex: { N: '1' } });
    t.same(found, { imageId: { S: imageId }, chunkIndex: { N: '1' }, content: { S: body } }, `${Buffer.byteLength(imageId!)}-byte key read back exactly`);
  }
});
