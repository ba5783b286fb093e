/**
 * Game days that go wrong, against the whole twin through the real service: a step that fails
 * after the DNS cutover waits for a person at its failure gate; retry carries the drill on,
 * rollback undoes every act (the run ends compensated). The abort after the cutover is in
 * abort-drill.test.ts (each file stays within tap's time limit).
 */
import t, { type Test } from 'tap';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, controlFor, labSdk } from '../contract/lab-adapters.js';
import { AWS, gameDays } from '../helpers/game-day.js';
import { startService } from '../helpers/service.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => {});
const control = controlFor(t, lab);
const service = await startService(t, lab);
const { until, stepDone, gateOpen, resolvedEverywhere, settledAnswers, decide, gameDayToCutover, syncAll } = gameDays(lab, service);
const web = sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.site);

/** The page the smoke tests ask for disappears from $web once the names point at Azure. */
async function breakTheSiteAfterCutover(t: Test, id: string): Promise<Buffer> {
  await until(id, stepDone('pre-dns-probe'));
  const page = await web.getBlockBlobClient('index.html').downloadToBuffer();
  await web.getBlockBlobClient('index.html').delete();
  const run = await until(id, gateOpen('recover-smoke-tests'));
  t.equal(run.status, 'awaiting-approval', 'the run waits for a person');
  const gate = run.gates.find((g) => g.id === 'recover-smoke-tests');
  t.same([gate?.kind, gate?.options], ['failure', ['retry', 'rollback', 'skip']]);
  t.equal(run.steps.find((s) => s.id === 'dns-cutover')?.status, 'succeeded', 'it failed after the cutover');
  return page;
}

t.test('the syncs have run once, as they do every day', (t) => syncAll(t));

t.test('a failed smoke test after the cutover waits at its failure gate; the page put back and retry, the drill succeeds', async (t) => {
  const id = await gameDayToCutover(t);
  const page = await breakTheSiteAfterCutover(t, id);
  await web.getBlockBlobClient('index.html').uploadData(page, { blobHTTPHeaders: { blobContentType: 'text/html' } });
  await decide(t, id, 'recover-smoke-tests', 'retry', 'tech-lead');
  await until(id, gateOpen('cto-approval'));
  await decide(t, id, 'cto-approval', 'approve', 'cto');
  const run = await until(id, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'succeeded', JSON.stringify(run.steps.filter((s) => s.status !== 'succeeded')));
  t.same(await resolvedEverywhere(), [AWS], 'the names are back on AWS');
});

t.test('the same failure decided rollback: every act undone, the run compensated, production as it was', async (t) => {
  const id = await gameDayToCutover(t);
  const page = await breakTheSiteAfterCutover(t, id);
  t.teardown(() => web.getBlockBlobClient('index.html').uploadData(page, { blobHTTPHeaders: { blobContentType: 'text/html' } }));
  await decide(t, id, 'recover-smoke-tests', 'rollback', 'tech-lead');
  const run = await until(id, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'compensated');
  const undo = Object.fromEntries(run.steps.filter((s) => s.undo).map((s) => [s.id, s.undo!.status]));
  t.same(undo, {
    announce: 'skip', 'block-uploads': 'pass', 'final-sync': 'skip', 'cosmos-throughput': 'pass', 'scale-up': 'pass', 'dns-ttl': 'pass', 'dns-cutover': 'pass',
  }, 'each act\'s undo is in its step; the irreversible ones say why');
  t.same(await settledAnswers(AWS), [AWS], 'the names resolve to AWS again on every resolver');
  await sdk.s3.send(new PutObjectCommand({ Bucket: lab.endpoints.aws.s3.buckets.uploads, Key: 'after-compensation.png', Body: 'x' }));
  t.pass('an S3 put to uploads is accepted');
  t.equal((await control.scaleSet().get()).capacity, 0, 'the scale set is at 0');
  t.equal(await control.throughput().get(), 400, 'Cosmos is at its standby RU/s');
  t.equal(await adapters.uploadGate.isBlocked(), false);
  t.match(await (await fetch(`${service.url}/metrics`)).text(), /^dr_contingency 0$/m, 'the contingency ended with the undo');
});

