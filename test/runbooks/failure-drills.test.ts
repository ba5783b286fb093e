/**
 * Game days that go wrong, against the whole twin through the real service: a step that fails
 * after the DNS cutover waits for a person at its failure gate; retry carries the drill on,
 * The rollback decision is in rollback-drill.test.ts, the abort in abort-drill.test.ts: one game
 * day a file keeps each within tap's time limit under load.
 */
import t from 'tap';
import { withLab } from '../helpers/lab.js';
import { labSdk } from '../contract/lab-adapters.js';
import { AWS, gameDays } from '../helpers/game-day.js';
import { startService } from '../helpers/service.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const service = await startService(t, lab);
const { until, gateOpen, resolvedEverywhere, decide, gameDayToCutover, syncAll, breakTheSiteAfterCutover } = gameDays(lab, service);
const web = sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.site);

t.test('the syncs have run once, as they do every day', (t) => syncAll(t));

t.test('a failed smoke test after the cutover waits at its failure gate; the page put back and retry, the drill succeeds', async (t) => {
  const id = await gameDayToCutover(t);
  const page = await breakTheSiteAfterCutover(t, id, web);
  await web.getBlockBlobClient('index.html').uploadData(page, { blobHTTPHeaders: { blobContentType: 'text/html' } });
  await decide(t, id, 'recover-smoke-tests', 'retry', 'tech-lead');
  await until(id, gateOpen('cto-approval'));
  await decide(t, id, 'cto-approval', 'approve', 'cto');
  const run = await until(id, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'succeeded', JSON.stringify(run.steps.filter((s) => s.status !== 'succeeded')));
  t.same(await resolvedEverywhere(), [AWS], 'the names are back on AWS');
});

