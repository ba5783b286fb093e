/**
 * Game days that go wrong, against the whole twin through the real service: a step that fails
 * after the DNS cutover waits for a person at its failure gate; retry carries the drill on,
 * rollback undoes every act (the run ends compensated); an abort with undo after the cutover
 * puts DNS back at AWS without a moment in which a name has no record.
 */
import t, { type Test } from 'tap';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { UdpResolver } from '../../src/adapters/dns/resolver.js';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, controlFor, labSdk } from '../contract/lab-adapters.js';
import { startService, type ServiceClient } from '../helpers/service.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => {});
const control = controlFor(t, lab);
const service: ServiceClient = await startService(t, lab);
const resolvers = lab.endpoints.dns.resolvers.map((r) => new UdpResolver(r));
const names = ['www.drsentinel.test', 'api.drsentinel.test'];
const AWS = '127.0.0.90';
const web = sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.site);

type Run = { status: string; steps: Array<{ id: string; status: string; result?: { reason: string }; undo?: { status: string; reason: string } }>; gates: Array<{ id: string; status: string; kind?: string; options?: string[] }> };

async function resolvedEverywhere(): Promise<string[]> {
  const answers = await Promise.all(names.flatMap((n) => resolvers.map(async (r) => (await r.resolve(n, 'A')).answers.join(','))));
  return [...new Set(answers)];
}

const runOf = async (id: string): Promise<Run> => (await service.call('GET', `/api/v1/runs/${id}`, 'viewer')).body as Run;
const until = (id: string, done: (run: Run) => boolean) => service.until(`/api/v1/runs/${id}`, done, 600_000) as Promise<Run>;
const stepDone = (id: string) => (run: Run) => run.steps.some((s) => s.id === id && s.status === 'succeeded') || ['failed', 'aborted', 'compensated'].includes(run.status);
const gateOpen = (gate: string) => (run: Run) => run.gates.some((g) => g.id === gate && g.status === 'pending') || ['failed', 'aborted', 'compensated', 'succeeded'].includes(run.status);

async function decide(t: Test, id: string, gate: string, decision: string, role: 'tech-lead' | 'cto') {
  const answer = await service.call('POST', `/api/v1/runs/${id}/approvals`, role, { gate, decision, reason: `drill: ${decision} at ${gate}` });
  t.equal(answer.status, 200, `${decision} at ${gate} by the ${role}: ${JSON.stringify(answer.body).slice(0, 300)}`);
}

/** Starts a game day and takes it past its first gates to the DNS cutover. */
async function gameDayToCutover(t: Test): Promise<string> {
  const started = await service.call('POST', '/api/v1/drills', 'tech-lead', { mode: 'game-day' });
  t.equal(started.status, 202, JSON.stringify(started.body));
  const id = started.body.id as string;
  await until(id, gateOpen('incident-commander'));
  await decide(t, id, 'incident-commander', 'approve', 'tech-lead');
  await until(id, gateOpen('integrity'));
  await decide(t, id, 'integrity', 'approve', 'tech-lead');
  return id;
}

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

t.test('the syncs have run once, as they do every day', async (t) => {
  const started = await service.call('POST', '/api/v1/syncs/all/run', 'operator', {});
  for (const id of started.body.ids as string[]) t.equal((await service.until(`/api/v1/syncs/${id}`, (r) => r.status !== 'running')).status, 'succeeded');
});

t.test('an sre may not start a game day: it fails production over for real', async (t) => {
  const refused = await service.call('POST', '/api/v1/drills', 'sre', { mode: 'game-day' });
  t.equal(refused.status, 403);
  t.match(refused.body.message, /a game-day drill fails production over for real: it needs the tech-lead or cto role/);
});

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
  await service.until('/api/v1/readiness', () => true);
  t.same(await (async () => {
    for (let i = 0; i < 120; i++) {
      const seen = await resolvedEverywhere();
      if (seen.length === 1 && seen[0] === AWS) return seen;
      await new Promise((r) => setTimeout(r, 500));
    }
    return resolvedEverywhere();
  })(), [AWS], 'the names resolve to AWS again on every resolver');
  await sdk.s3.send(new PutObjectCommand({ Bucket: lab.endpoints.aws.s3.buckets.uploads, Key: 'after-compensation.png', Body: 'x' }));
  t.pass('an S3 put to uploads is accepted');
  t.equal((await control.scaleSet().get()).capacity, 0, 'the scale set is at 0');
  t.equal(await control.throughput().get(), 400, 'Cosmos is at its standby RU/s');
  t.equal(await adapters.uploadGate.isBlocked(), false);
  t.match(await (await fetch(`${service.url}/metrics`)).text(), /^dr_contingency 0$/m, 'the contingency ended with the undo');
});

t.test('an abort with undo after the cutover: DNS back at AWS, and never a moment without a record', async (t) => {
  const id = await gameDayToCutover(t);
  await until(id, stepDone('dns-cutover'));
  t.same(await resolvedEverywhere(), ['127.0.0.80'], 'the names point at Azure');
  const gaps: string[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      await Promise.all(names.flatMap((n) => resolvers.map(async (r) => {
        const answer = await r.resolve(n, 'A');
        if (answer.answers.length === 0) gaps.push(`${n} at ${r.name}: ${answer.rcode}`);
      })));
      const authority = await Promise.all(['www', 'api'].map((n) => control.dnsZone().get(n, 'A')));
      authority.forEach((set, i) => void (set?.values.length ? undefined : gaps.push(`${['www', 'api'][i]} has no record in the zone`)));
    }
  })();
  const aborted = await service.call('POST', `/api/v1/runs/${id}/abort`, 'tech-lead', { reason: 'drill: abort after the cutover', undo: true });
  t.equal(aborted.status, 200, JSON.stringify(aborted.body).slice(0, 300));
  const back = await (async () => {
    for (let i = 0; i < 120; i++) {
      const seen = await resolvedEverywhere();
      if (seen.length === 1 && seen[0] === AWS) return seen;
      await new Promise((r) => setTimeout(r, 500));
    }
    return resolvedEverywhere();
  })();
  polling = false;
  await poll;
  t.same(back, [AWS], 'DNS is back at AWS on every resolver');
  t.same(gaps, [], 'no name was ever without a record, in the zone or at a resolver');
  const run = await runOf(id);
  t.equal(run.status, 'aborted');
  t.equal(run.steps.find((s) => s.id === 'dns-cutover')?.undo?.status, 'pass');
});
