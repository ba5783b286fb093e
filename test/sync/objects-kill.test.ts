/**
 * A sync process killed with SIGKILL mid-run, on the twin, then rerun: it converges without
 * recopying what landed. objects-crash.test.ts proves the same of the engine in memory; this one
 * proves it of a real process death, with the SDKs' uploads cut wherever they were (a 20 MB
 * blob's uncommitted blocks included).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, freshName, labSdk } from '../contract/lab-adapters.js';
import { rerunConverges } from '../helpers/rerun-after-crash.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const script = fileURLToPath(new URL('./sync-child.ts', import.meta.url));

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

t.test('SIGKILL mid-sync, then a rerun converges', async (t) => {
  const bucket = freshName('crash-');
  const container = freshName('crash-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await sdk.blob.getContainerClient(container).create();
  const big = { key: 'a-big/scan.bin', body: randomBytes(20 * 1024 * 1024 + 4321) };
  await new Upload({ client: sdk.s3, params: { Bucket: bucket, Key: big.key, Body: big.body, ContentType: 'image/tiff' }, partSize: 5 * 1024 * 1024 }).done();
  const keys = Array.from({ length: 300 }, (_, i) => `b-small/${String(i).padStart(3, '0')}.txt`);
  for (let i = 0; i < keys.length; i += 25) {
    await Promise.all(keys.slice(i, i + 25).map((key) => sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(2048) }))));
  }
  const total = keys.length + 1;

  // The child's temp files (the engine's work dir) go where this test can remove them: a
  // killed process cleans up nothing.
  const childTmp = await mkdtemp(join(tmpdir(), 'drsentinel-crash-'));
  const child = spawn(process.execPath, [...TS_LOADER, script, lab.configFile, bucket, container], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: childTmp },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(childTmp, { recursive: true, force: true });
  });

  // Killed once some objects have landed, well before all of them.
  let landedBeforeKill = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const progress = JSON.parse(line) as { copied?: number; done?: unknown };
    if (progress.done) break;
    landedBeforeKill = progress.copied ?? 0;
    if (landedBeforeKill >= 40) {
      child.kill('SIGKILL');
      break;
    }
  }
  t.equal(await exited, 'SIGKILL', 'the child was killed mid-run', { stderr });
  t.ok(landedBeforeKill >= 40 && landedBeforeKill < total, `killed after ${landedBeforeKill} of ${total} objects`);
  t.ok((await readdir(childTmp)).length > 0, 'the killed sync left its work dir behind (removed by this test)');

  const { objects } = adaptersFor(t, lab, (c) => {
    c.aws.s3.buckets.uploads = bucket;
    c.azure.blob.containers.uploads = container;
  });
  await rerunConverges(t, { source: objects.awsUploads, destination: objects.azureUploads, total, landedBeforeKill });
});
