/**
 * The site mirror's brakes, as a person at a terminal meets them: one page gone at the source
 * goes at the destination; most of the site gone, or all of it, deletes nothing and says why;
 * `--allow-deletes` lets the deletes through and the audit says who allowed them.
 */
import t from 'tap';
import { userInfo } from 'node:os';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { storeFile } from '../../src/config/paths.js';
import { openStore } from '../../src/store/index.js';
import { labSdk } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const bucket = lab.endpoints.aws.s3.buckets.site;
const web = sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.site);

async function syncSite(...flags: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['sync', 'site', '--config', lab.configFile, ...flags], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: process.env,
  });
  return { code, stdout, stderr };
}

async function sourceKeys(): Promise<string[]> {
  const listed = await sdk.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

async function webKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of web.listBlobsFlat()) keys.push(blob.name);
  return keys;
}

const remove = (keys: string[]) => sdk.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));

t.test('a 50-object site is mirrored', async (t) => {
  const missing = 50 - (await sourceKeys()).length;
  for (let i = 0; i < missing; i++) await sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `pages/page-${String(i).padStart(2, '0')}.html`, Body: `<p>${i}</p>`, ContentType: 'text/html' }));
  t.equal((await sourceKeys()).length, 50);
  const { code, stderr } = await syncSite();
  t.equal(code, 0, stderr);
  t.equal((await webKeys()).length, 50);
});

t.test('one page deleted at the source is deleted at the destination', async (t) => {
  await remove(['pages/page-00.html']);
  const { code, stdout } = await syncSite();
  t.equal(code, 0, stdout);
  t.notOk((await webKeys()).includes('pages/page-00.html'));
  t.equal((await webKeys()).length, 49);
});

t.test('60 % of the site deleted at the source: nothing deleted, class safety, and why', async (t) => {
  const before = await webKeys();
  const doomed = (await sourceKeys()).filter((k) => k.startsWith('pages/')).slice(0, 30);
  await remove(doomed);
  const { code, stdout } = await syncSite();
  t.equal(code, 1);
  t.match(stdout, /^site: failed \[safety\] in [\d.]+ s — site: 30 of the 49 objects at blob:\/\/\$web would be deleted, more than the limit of 12 \(sync\.maxDeleteRatio 25 %, sync\.maxDeleteMinimum 10\): nothing deleted; allow them with --allow-deletes/m);
  t.same((await webKeys()).sort(), before.sort(), '$web is unchanged');
});

t.test('--allow-deletes lets them through, and the audit says who allowed them', async (t) => {
  const { code, stdout } = await syncSite('--allow-deletes');
  t.equal(code, 0, stdout);
  t.equal((await webKeys()).length, 19);
  const { config } = loadConfig(lab.configFile);
  const store = openStore(storeFile(config));
  t.teardown(() => store.close());
  const row = (await store.audit.list({ limit: 100 })).find((r) => r.action === 'sync.run' && r.details.allowDeletes === true);
  t.equal(row?.actor, `cli:${userInfo().username}`, 'the audit names who allowed the deletes');
  t.equal(row?.target, 'site');
});

t.test('an empty source listing deletes nothing and says so', async (t) => {
  const before = await webKeys();
  await remove(await sourceKeys());
  const { code, stdout } = await syncSite();
  t.equal(code, 1);
  t.match(stdout, /^site: failed \[safety\] in [\d.]+ s — site: s3:\/\/\S+ lists no objects while blob:\/\/\$web holds 19: wrong bucket, credentials or policy\? nothing deleted/m);
  t.same((await webKeys()).sort(), before.sort(), '$web is unchanged');
});
