/**
 * The syncs API on the lab twin: guarded start, live view, outcome, audit, the
 * consecutive-failure count that R4 alerts on, and a flow bounded by its request timeout.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { buildAdapters } from '../../src/adapters/index.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import { SyncService } from '../../src/sync/service.js';
import { withLab } from '../helpers/lab.js';
import { watchLeakWarnings } from '../helpers/warnings.js';

// One lab for the file: each test builds its own store, adapters and app over it. The first
// test finds both flows still to copy, which its 16 transfers in flight need.
const lab = await withLab(t);

/** `patch` changes the lab's config before any client is built from it. */
async function setUp(t: Test, patch: (config: Config) => void = () => {}) {
  const { config } = loadConfig(lab.configFile);
  patch(config);
  const store = openStore(join(t.testdir(), 'drsentinel.db'));
  const adapters = buildAdapters(config);
  const metrics = createMetrics();
  const syncs = new SyncService({ config, adapters, store, metrics, clock: systemClock, log: () => {} });
  const app = await buildApp({ config, store, metrics, clock: systemClock, syncs });
  t.teardown(async () => {
    await app.close();
    await syncs.close();
    adapters.close();
    await store.close();
  });
  const auth = (role: keyof typeof lab.endpoints.tokens) => ({ authorization: `Bearer ${lab.endpoints.tokens[role]}` });
  return { lab, app, store, syncs, metrics, auth, config };
}

t.test('a flow with 16 transfers in flight raises no listener-leak warning on the shared stop signal', async (t) => {
  const { syncs } = await setUp(t);
  const warnings = watchLeakWarnings(t);
  const [site, uploads] = await syncs.startMany(['site', 'uploads']);
  const runs = await Promise.all([syncs.wait(site!.id), syncs.wait(uploads!.id)]);
  t.same(runs.map((r) => r.status), ['succeeded', 'succeeded']);
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  t.same(warnings, [], 'Node warned of a leak');
});

t.test('starting a sync needs a token and an operating role; it runs, verifies and is audited', async (t) => {
  const { app, store, syncs, auth } = await setUp(t);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/syncs/site/run', payload: {} })).statusCode, 401, 'no token');
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/syncs/site/run', payload: {}, headers: auth('viewer') })).statusCode, 403, 'a viewer');
  const started = await app.inject({ method: 'POST', url: '/api/v1/syncs/site/run', payload: {}, headers: auth('operator') });
  t.equal(started.statusCode, 202);
  const [id] = started.json().ids as string[];
  t.ok(id);
  const again = await app.inject({ method: 'POST', url: '/api/v1/syncs/site/run', payload: {}, headers: auth('operator') });
  t.equal(again.statusCode, 409, 'the same flow cannot run twice at once');

  const live = (await app.inject({ url: `/api/v1/syncs/${id}` })).json();
  t.equal(live.flow, 'site');
  await syncs.wait(id!);
  const done = (await app.inject({ url: `/api/v1/syncs/${id}` })).json();
  t.equal(done.status, 'succeeded', JSON.stringify(done.summary.verification?.reason ?? done.summary.error));
  t.match(done.summary.verification.reason, /objects and \d+ bytes equal on both sides; all \d+ pages answer 200/);
  t.ok(done.verifiedThrough);
  const list = (await app.inject({ url: '/api/v1/syncs?flow=site' })).json();
  t.equal(list.runs[0].id, id);
  const audit = await store.audit.list({ limit: 10 });
  t.match(audit.at(-1), { actor: 'demo-operator', action: 'sync.run', target: 'site' });
});

t.test('failed runs are counted per flow until one succeeds (R4), and projected to metrics', async (t) => {
  const { lab, syncs, store, metrics } = await setUp(t);
  const blob = BlobServiceClient.fromConnectionString(lab.endpoints.azure.blob.connectionString);
  const uploads = blob.getContainerClient(lab.endpoints.azure.blob.containers.uploads);
  await uploads.delete();
  for (let i = 1; i <= 2; i++) {
    const run = await syncs.wait((await syncs.start('uploads')).id);
    t.equal(run.status, 'failed', `run ${i} fails without its container`);
    t.ok(run.summary.failureClass, 'the failure is classified');
    t.equal(await store.syncs.consecutiveFailures('uploads'), i);
  }
  t.match(await metrics.text(), /dr_sync_consecutive_failures\{flow="uploads"\} 2/);
  await uploads.create();
  const ok = await syncs.wait((await syncs.start('uploads')).id);
  t.equal(ok.status, 'succeeded', String(ok.summary.verification?.reason ?? ok.summary.error));
  t.equal(await store.syncs.consecutiveFailures('uploads'), 0);
  t.match(await metrics.text(), /dr_sync_consecutive_failures\{flow="uploads"\} 0/);
  t.match(await metrics.text(), /dr_sync_integrity_ratio\{flow="uploads"\} 1/);
});

t.test('S3 answering minutes late: the flow ends failed, class timeout, long before its deadline; the next run works', async (t) => {
  // Every call gives up after 1 s, and each retry (the SDK's, then the engine's) waits 1 s more.
  t.setTimeout(300_000);
  const { lab, syncs, store, config } = await setUp(t, (c) => {
    c.sync.requestTimeoutSeconds = 1;
  });
  const deadlineMinutes = (config.sync.runDeadlineHours ?? 2 * config.sync.windowHours) * 60;
  lab.faults.set('s3', { latencyMs: 10 * 60_000 });
  t.teardown(() => lab.faults.clear());
  const started = Date.now();
  const stalled = await syncs.wait((await syncs.start('uploads')).id);
  const minutes = (Date.now() - started) / 60_000;
  t.equal(stalled.status, 'failed', String(stalled.summary.error));
  t.equal(stalled.summary.failureClass, 'timeout', String(stalled.summary.error));
  t.ok(minutes < 3 && minutes < deadlineMinutes / 10, `ended after ${minutes.toFixed(1)} min, its deadline being ${deadlineMinutes} min`);
  t.equal(await store.syncs.consecutiveFailures('uploads'), 1);

  lab.faults.clear();
  const next = await syncs.wait((await syncs.start('uploads')).id);
  t.equal(next.status, 'succeeded', String(next.summary.verification?.reason ?? next.summary.error));
  t.equal(await store.syncs.consecutiveFailures('uploads'), 0);
});
