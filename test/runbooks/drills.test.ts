/**
 * The drills against the whole twin, through the real service: the dry-run changes nothing;
 * the game day switches DNS on three resolvers and back, scales the standby up and down,
 * blocks and unblocks uploads, and brings data written during the contingency back to AWS.
 */
import t, { type Test } from 'tap';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { toDocument } from '../../src/core/documents.js';
import { IMAGES_SCHEMA } from '../contract/document-table.js';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, controlFor, labSdk } from '../contract/lab-adapters.js';
import { AWS, AZURE, gameDays } from '../helpers/game-day.js';
import { startService, type ServiceClient } from '../helpers/service.js';
import { main } from '../../src/cli.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => {});
const control = controlFor(t, lab);
const service = await startService(t, lab);
const { buckets } = lab.endpoints.aws.s3;
const { resolvedEverywhere } = gameDays(lab, service);
/** Reading runs and reports needs a token: a viewer's, as anyone following the drill would hold. */
const asViewer = { authorization: `Bearer ${lab.endpoints.tokens.viewer}` };

/** What a dry-run must leave exactly as it was. */
async function snapshot() {
  const listing = async (bucket: string) => (await sdk.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => `${o.Key} ${o.ETag}`) ?? [];
  const blobs: string[] = [];
  for await (const b of sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.uploads).listBlobsFlat()) blobs.push(`${b.name} ${b.properties.etag}`);
  return {
    s3Uploads: await listing(buckets.uploads),
    uploadsBlocked: await adapters.uploadGate.isBlocked(),
    dynamodb: (await sdk.dynamodb.send(new ScanCommand({ TableName: lab.endpoints.aws.dynamodb.table, Select: 'COUNT' }))).Count,
    azureUploads: blobs,
    cosmos: await adapters.tables.cosmos.count(),
    capacity: (await control.scaleSet().get()).capacity,
    ru: await control.throughput().get(),
    gateway: (await control.gateway().get()).operationalState,
    dns: await Promise.all(['www', 'api', 'dr'].map(async (n) => JSON.stringify(await control.dnsZone().get(n, 'A')))),
    functions: [...lab.azure.state.functions.keys()],
  };
}

type GateState = { id: string; status: string; kind?: string };

/** A step of the live run failed: it waits at its failure gate (recover-<step>) for a person. */
const failureGateOpen = (run: { gates: GateState[] }) => run.gates.some((g) => g.kind === 'failure' && g.status === 'pending');
/** The run stopped short of `gate`: it ended, or a step failed. */
const stoppedShort = (run: { status: string; gates: GateState[] }) => ['failed', 'aborted', 'compensated'].includes(run.status) || failureGateOpen(run);
const gatePending = (gate: string) => (run: { status: string; gates: GateState[] }) => run.gates.some((g) => g.id === gate && g.status === 'pending') || stoppedShort(run);

async function approveWhenAsked(t: Test, s: ServiceClient, id: string, gate: string, role: 'tech-lead' | 'cto', before?: () => Promise<void>) {
  await s.until(`/api/v1/runs/${id}`, gatePending(gate), 600_000);
  const run = (await s.call('GET', `/api/v1/runs/${id}`, 'viewer')).body;
  if (stoppedShort(run)) t.fail(`the run stopped before gate ${gate} (${run.status}): ${JSON.stringify(run.steps.filter((x: { status: string }) => x.status === 'failed'))}`);
  await before?.();
  const answer = await s.call('POST', `/api/v1/runs/${id}/approvals`, role, { gate, decision: 'approve', reason: `drill: ${gate} approved` });
  t.equal(answer.status, 200, `gate ${gate} approved by the ${role}`);
}

/** `drsentinel decide` as a person at a terminal would type it. */
async function decideWithCli(id: string, gate: string, role: keyof typeof lab.endpoints.tokens, decision: 'approve' | 'reject' = 'approve') {
  let stdout = '';
  let stderr = '';
  const code = await main(['decide', id, gate, decision, '--reason', `drill: ${gate} ${decision === 'approve' ? 'approved' : 'rejected'}`, '--server', service.url], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DRSENTINEL_TOKEN: lab.endpoints.tokens[role] },
  });
  return { code, stdout, stderr };
}

/** `drsentinel sync` as a person at a terminal would type it, on the service's own config. */
async function syncWithCli(flow: string) {
  let stderr = '';
  const code = await main(['sync', flow, '--config', lab.configFile], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: process.env });
  return { code, stderr };
}

t.test('starting a runbook needs a token and a lead\'s role', async (t) => {
  const body = { scenario: 'AWS region down', reason: 'guard test', confirm: true };
  t.equal((await service.call('POST', '/api/v1/activations', undefined, body)).status, 401, 'no token');
  t.equal((await service.call('POST', '/api/v1/activations', 'viewer', body)).status, 403, 'a viewer');
  t.equal((await service.call('POST', '/api/v1/activations', 'sre', body)).status, 403, 'an SRE');
  t.equal((await service.call('POST', '/api/v1/activations', 'tech-lead', { ...body, confirm: false })).status, 400, 'without the confirmation');
  t.equal((await service.call('POST', '/api/v1/rollbacks', 'operator', { reason: 'guard test' })).status, 403);
  t.equal((await service.call('POST', '/api/v1/drills', 'viewer', { mode: 'game-day' })).status, 403);
});

t.test('the syncs have run once, as they do every day', async (t) => {
  const started = await service.call('POST', '/api/v1/syncs/all/run', 'operator', {});
  t.equal(started.status, 202);
  for (const id of started.body.ids as string[]) {
    const run = await service.until(`/api/v1/syncs/${id}`, (r) => r.status !== 'running');
    t.equal(run.status, 'succeeded', `${run.flow} synced`);
  }
});

t.test('a game day fails over to Azure and back, and nothing written meanwhile is lost', async (t) => {
  t.same(await resolvedEverywhere(), [AWS], 'production names on AWS before');
  const started = await service.call('POST', '/api/v1/drills', 'tech-lead', { mode: 'game-day' });
  t.equal(started.status, 202);
  const id = started.body.id as string;

  await approveWhenAsked(t, service, id, 'incident-commander', 'tech-lead', async () => {
    const refused = await service.call('POST', `/api/v1/runs/${id}/approvals`, 'viewer', { gate: 'incident-commander', decision: 'approve', reason: 'not mine' });
    t.equal(refused.status, 403, 'a viewer cannot decide');
  });
  await service.until(`/api/v1/runs/${id}`, gatePending('integrity'), 600_000);
  const notMine = await decideWithCli(id, 'integrity', 'viewer');
  t.equal(notMine.code, 2, 'a viewer\'s decision is refused');
  t.match(notMine.stderr, /the service refused \(403\)/);
  const decided = await decideWithCli(id, 'integrity', 'tech-lead');
  t.equal(decided.code, 0, decided.stderr);
  t.match(decided.stdout, /^gate integrity approved by demo-tech-lead: drill: integrity approved$/m, 'the integrity gate decided from the command line');

  await approveWhenAsked(t, service, id, 'cto-approval', 'cto', async () => {
    // The contingency: Azure serves production.
    t.same(await resolvedEverywhere(), [AZURE], 'both names resolve to the gateway on the three resolvers');
    t.equal((await control.scaleSet().get()).capacity, 2, 'two API instances');
    t.equal(await control.throughput().get(), 4000, 'Cosmos at 4000 RU/s');
    await t.rejects(sdk.s3.send(new PutObjectCommand({ Bucket: buckets.uploads, Key: 'late.png', Body: 'x' })), { name: 'AccessDenied' }, 'uploads blocked on AWS');
    // Written on Azure during the contingency: an upload and its metadata.
    await sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.uploads).getBlockBlobClient('contingency/photo.png').upload('taken during the failover', 25);
    // As the Azure application writes it (lab/azure/function-host.ts): a plain document, not a forward copy of an AWS item.
    const { cosmos } = lab.endpoints.azure;
    const written = await sdk.cosmos.database(cosmos.database).container(cosmos.container).items
      .upsert(toDocument({ imageId: { S: 'contingency-1' }, chunkIndex: { N: '0' }, content: { S: 'aGVsbG8=' } }, IMAGES_SCHEMA));
    t.equal(written.statusCode, 201, 'the document was created on Azure');

    // Nothing undoes what the standby took in: the forward syncs are held.
    const byHand = await service.call('POST', '/api/v1/syncs/site/run', 'tech-lead', {});
    t.equal(byHand.status, 409, 'a forward sync started by hand is refused');
    t.match(byHand.body.message, new RegExp(`^drsentinel is in contingency since \\S+ \\(run ${id}, game-day\\): a forward site sync would undo what the standby took in`));
    const cli = await syncWithCli('metadata');
    t.equal(cli.code, 1, 'the CLI refuses a forward sync too');
    t.match(cli.stderr, new RegExp(`the state directory \\S+ is in use by drsentinel serve \\(pid ${process.pid} on \\S+, since \\S+, API ${service.url}\\): one drsentinel process at a time`), 'it names the running service: its API takes the sync, and holds it');
    const readiness = (await service.call('GET', '/api/v1/readiness')).body;
    t.same(readiness.contingency?.runId, id, 'the readiness shows the contingency');
    t.match(await (await fetch(`${service.url}/metrics`)).text(), /^dr_contingency 1$/m);
    t.ok(await adapters.tables.cosmos.get({ imageId: { S: 'contingency-1' }, chunkIndex: { N: '0' } }), 'the document written on Azure is still there');
  });

  // Resolvers that still hold the old answer send users to Azure for a while after the cutback.
  await service.until('/api/v1/readiness', (r) => r.contingency === null, 600_000);
  await sdk.blob.getContainerClient(lab.endpoints.azure.blob.containers.uploads).getBlockBlobClient('after-cutback/late.png').upload('taken after the cutback', 22);

  const run = await service.until(`/api/v1/runs/${id}`, (r) => !['running', 'awaiting-approval'].includes(r.status) || failureGateOpen(r), 600_000);
  const standing = /gate "cto-approval" of run \S+ was already decided: approve by demo-cto \(drill: cto-approval approved\); that decision stands/;
  const contradicting = await service.call('POST', `/api/v1/runs/${id}/approvals`, 'cto', { gate: 'cto-approval', decision: 'reject', reason: 'a contradicting decision' });
  t.equal(contradicting.status, 409, 'a decision contradicting the one that stands is refused');
  t.match(contradicting.body, { error: 'conflict', message: standing }, 'naming the decision that stands');
  const replay = await service.call('POST', `/api/v1/runs/${id}/approvals`, 'cto', { gate: 'cto-approval', decision: 'approve', reason: 'a replayed decision' });
  t.equal(replay.status, 200);
  t.equal(replay.body.replayed, true, 'the same decision again is a replay and changes nothing');
  t.match(replay.body.run.gates.find((g: { id: string }) => g.id === 'cto-approval'), { status: 'approved', by: 'demo-cto', reason: 'drill: cto-approval approved' });
  t.equal(replay.body.run.status, 'succeeded', 'the run is as it was');
  const lateReject = await decideWithCli(id, 'cto-approval', 'cto', 'reject');
  t.equal(lateReject.code, 1, 'a reject that came too late is not read as done');
  t.equal(lateReject.stdout, '', 'nothing is reported as decided');
  t.match(lateReject.stderr, new RegExp(`the service refused \\(409\\): ${standing.source}`));
  const sameAgain = await decideWithCli(id, 'cto-approval', 'cto');
  t.equal(sameAgain.code, 0, sameAgain.stderr);
  t.match(sameAgain.stdout, /^gate cto-approval approved by demo-cto: drill: cto-approval approved — decided before, the same way$/m, 'the same decision from the command line is a replay');
  const failed = run.steps.filter((s: { status: string }) => s.status !== 'succeeded');
  t.same(failed, [], 'every step succeeded');
  t.equal(run.status, 'succeeded');

  t.same(await resolvedEverywhere(), [AWS], 'the names are back on AWS');
  t.equal((await control.scaleSet().get()).capacity, 0, 'the scale set is back to 0');
  t.equal(await control.throughput().get(), 400, 'Cosmos is back to its minimum');
  t.equal(await adapters.uploadGate.isBlocked(), false, 'uploads are let in again');
  const back = await sdk.s3.send(new GetObjectCommand({ Bucket: buckets.uploads, Key: 'contingency/photo.png' }));
  t.equal(await back.Body!.transformToString(), 'taken during the failover', 'the upload made on Azure is on S3');
  const item = await sdk.dynamodb.send(new GetItemCommand({ TableName: lab.endpoints.aws.dynamodb.table, Key: { imageId: { S: 'contingency-1' }, chunkIndex: { N: '0' } } }));
  t.equal(item.Item?.content?.S, 'aGVsbG8=', 'the metadata written on Azure is in DynamoDB');
  const late = await sdk.s3.send(new GetObjectCommand({ Bucket: buckets.uploads, Key: 'after-cutback/late.png' }));
  t.equal(await late.Body!.transformToString(), 'taken after the cutback', 'the upload made on Azure after the cutback reached S3 through the catch-up');
  t.match(await (await fetch(`${service.url}/metrics`)).text(), /^dr_contingency 0$/m, 'the contingency ended with the cutback');

  const reports = (await service.call('GET', '/api/v1/reports', 'viewer')).body;
  t.ok(JSON.stringify(reports).includes('post-rollback'), 'the post-rollback report was written');
  const postRollback = (reports.reports as Array<{ id: string; kind: string }>).find((r) => r.kind === 'post-rollback')!;
  const postRollbackText = await (await fetch(`${service.url}/api/v1/reports/${postRollback.id}?format=md`, { headers: asViewer })).text();
  t.match(postRollbackText, /## Reverse passes\s+- Carry back to AWS what was written on Azure during the contingency \(R13\.1–2\): pass — uploads and metadata written during the contingency are back on AWS\s+- Once Azure has taken no write for 3 s, carry back what it took in after the first pass \(R13\.2\): pass/, 'the report lists both reverse passes');
  const readiness = (await service.call('GET', '/api/v1/readiness')).body;
  t.type(readiness.estimatedRtoSeconds, 'number', 'the drill measured an RTO');
  t.match(await (await fetch(`${service.url}/metrics`)).text(), /^dr_estimated_rto_seconds \d+/m);
  // R15: the return confirmation to customers waits for a CTO.
  const held = await service.call('POST', '/api/v1/messages', 'tech-lead', { kind: 'external-return', runId: id, text: 'Thank you for your patience.' });
  t.equal(held.status, 201);
  t.equal(held.body.status, 'awaiting-approval', 'an external message written by the tech lead is held');
  t.equal((await service.call('POST', `/api/v1/messages/${held.body.id}/approval`, 'tech-lead', { decision: 'approve' })).status, 403, 'only a CTO approves it');
  const sent = await service.call('POST', `/api/v1/messages/${held.body.id}/approval`, 'cto', { decision: 'approve' });
  t.equal(sent.body.status, 'sent');
  t.ok(lab.webhook.received().some((c) => c.path === '/status-page' && JSON.stringify(c.body).includes('Thank you for your patience.')), 'the status page got it');

  // R16: the post-incident report, with the real RTO from the run.
  const postIncident = await service.call('PUT', `/api/v1/runs/${id}/post-incident`, 'tech-lead', {
    rootCause: 'a game day: AWS was declared down on purpose',
    correctiveActions: [{ action: 'shorten the TTL of the public names for good', owner: 'devops' }],
  });
  t.equal(postIncident.status, 201);
  t.type(postIncident.body.rtoSeconds, 'number');
  const text = await (await fetch(`${service.url}/api/v1/reports/${postIncident.body.reportId}?format=md`, { headers: asViewer })).text();
  t.match(text, /## Root cause\s+a game day: AWS was declared down on purpose/);

  const audit = (await service.call('GET', '/api/v1/audit?limit=1000', 'viewer')).body;
  t.equal(audit.verified.ok, true);
  t.ok(audit.rows.filter((r: { action: string }) => r.action === 'runbook.act').length >= 10, 'every act is in the audit log');
});

/** The stored results of the suites a standby fails by nature, as the readiness reads them. */
async function activeSuiteResults(): Promise<unknown[]> {
  const readiness = (await service.call('GET', '/api/v1/readiness')).body as { checks: Array<{ suite: string; check: string; startedAt: string }> };
  return readiness.checks.filter((c) => ['smoke', 'complementary'].includes(c.suite)).map((c) => `${c.suite}/${c.check} ${c.startedAt}`);
}

t.test('a dry-run drill reads and verifies everything and changes nothing', async (t) => {
  const before = await snapshot();
  const resultsBefore = await activeSuiteResults();
  const started = await service.call('POST', '/api/v1/drills', 'sre', { mode: 'dry-run' });
  t.equal(started.status, 202);
  const run = await service.until(`/api/v1/runs/${started.body.id}`, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'succeeded', 'a dry-run reports, it does not stop');
  t.equal(run.dryRun, true);
  t.ok(run.steps.every((s: { status: string }) => s.status === 'succeeded'), 'every step was read and verified');
  t.match(run.steps.find((s: { id: string }) => s.id === 'scale-up').result.reason, /^dry-run: the act would be needed — 0 of 2 instances Running/);
  t.match(run.steps.find((s: { id: string }) => s.id === 'integrity-gate').result.reason,
    /^dry-run: a decision would be asked here — of the Incident Commander \(tech-lead\) at 90 % integrity or more, of the CTO below$/, 'no integrity is made up, and no one named, where no final sync ran');
  t.same(run.gates, [], 'no gate is left waiting for anyone');
  t.same(await snapshot(), before, 'the twin is exactly as it was');
  t.ok(run.steps.find((s: { id: string }) => s.id === 'smoke-tests').result.evidence.checks, 'the smoke suite ran (not skipped)');
  t.same(await activeSuiteResults(), resultsBefore, 'its smoke and complementary results, failed on a standby by nature, are not left for the readiness to count');
});

t.test('the CLI starts a drill through the API and follows it step by step', async (t) => {
  let stdout = '';
  let stderr = '';
  const code = await main(['drill', 'dry-run', '--server', service.url], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DRSENTINEL_TOKEN: lab.endpoints.tokens.sre },
  });
  t.equal(code, 0, stderr);
  t.match(stdout, /^run [0-9a-f-]+: following/m);
  t.match(stdout, /^! Scale the API to 2 instances, all Running \(R8\) \([\d.]+ s\): dry-run: the act would be needed/m);
  t.match(stdout, /^run [0-9a-f-]+ succeeded$/m);
  t.notMatch(stdout, /⏸|decide:/, 'nobody is told to decide at a dry-run\'s gate');
});
