import { Readable } from 'node:stream';
import t from 'tap';
import { metadataSampleCheck, uploadsSampleCheck } from '../../src/checks/sync-samples.js';
import type { Item } from '../../src/core/items.js';
import { runCheck } from '../../src/core/result.js';
import { adaptersFor } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const adapters = adaptersFor(t, lab, () => {});
const now = () => new Date();

t.test('uploads-sample: an upload whose bytes differ at the standby is named; copied again, it passes', async (t) => {
  const { awsUploads, azureUploads } = adapters.objects;
  const put = (store: typeof awsUploads, key: string, text: string) => store.put(key, Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text) });
  for (const key of ['u/1.png', 'u/2.png', 'u/3.png']) {
    await put(awsUploads, key, `bytes of ${key}`);
    await put(azureUploads, key, `bytes of ${key}`);
  }
  const check = uploadsSampleCheck({ source: awsUploads, destination: azureUploads, sampleSize: 10 });
  const ok = await runCheck(check, { now }, 20_000);
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, 'the latest 3 objects have equal MD5s on both sides');

  await put(azureUploads, 'u/2.png', 'truncated');
  const broken = await runCheck(check, { now }, 20_000);
  t.equal(broken.status, 'fail');
  t.match(broken.reason, /^1 of the latest 3 objects differ: u\/2\.png \(MD5 [0-9a-f]{32} ≠ [0-9a-f]{32}\)$/);

  await put(azureUploads, 'u/2.png', 'bytes of u/2.png');
  t.equal((await runCheck(check, { now }, 20_000)).status, 'pass', 'repaired');
});

t.test('metadata-sample: an item that differs in Cosmos is named by its key; written again, it passes', async (t) => {
  const { dynamodb, cosmos } = adapters.tables;
  const items: Item[] = [1, 2, 3, 4].map((n) => ({ imageId: { S: `img-${n}` }, chunkIndex: { N: '0' }, content: { S: `chunk ${n}` } }));
  const puts = (list: Item[]) => list.map((item) => ({ type: 'put' as const, item }));
  t.same((await dynamodb.bulkWrite(puts(items))).failed, []);
  t.same((await cosmos.bulkWrite(puts(items))).failed, []);
  const check = metadataSampleCheck({ source: dynamodb, destination: cosmos, ratio: 1 });

  const ok = await runCheck(check, { now }, 20_000);
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, '4 sampled items have equal canonical hashes on both sides');

  await cosmos.bulkWrite(puts([{ ...items[2]!, content: { S: 'tampered' } }]));
  const broken = await runCheck(check, { now }, 20_000);
  t.equal(broken.status, 'fail');
  t.match(broken.reason, /^1 of 4 sampled items differ: \{"imageId":\{"S":"img-3"\},"chunkIndex":\{"N":"0"\}\} hash differs/);

  await cosmos.bulkWrite(puts([items[2]!]));
  t.equal((await runCheck(check, { now }, 20_000)).status, 'pass', 'repaired');
});
