/**
 * A game day whose smoke test fails after the DNS cutover, decided rollback at its failure gate:
 * every act undone, newest first, and the run compensated, against the whole twin.
 */
import t from 'tap';
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
const { until, settledAnswers, decide, gameDayToCutover, syncAll, breakTheSiteAfterCutover } = gameDays(lab, service);
const web = sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.site);

t.test('the syncs have run once, as they do every day', (t) => syncAll(t));

t.test('the same failure decided rollback: every act undone, the run compensated, production as it was', async (t) => {
  const id = await gameDayToCutover(t);
  const page = await breakTheSiteAfterCutover(t, id, web);
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

