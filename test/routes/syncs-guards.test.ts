/**
 * Who may write into production, or let deletes past the brakes, and what a forward run meets
 * in contingency: refused before any cloud is touched (the adapters here throw if reached).
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Adapters } from '../../src/adapters/index.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/metrics/index.js';
import { SyncService } from '../../src/sync/service.js';
import { tempStore } from '../store/temp-store.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKENS = { operator: 'operator-token', sre: 'sre-token', 'tech-lead': 'tech-lead-token', cto: 'cto-token' } as const;

async function setUp(t: Test) {
  const { config } = loadConfig(fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url)), { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'x' });
  config.auth.tokens = Object.entries(TOKENS).map(([role, token]) => ({ name: `demo-${role}`, sha256: sha256(token), roles: [role as keyof typeof TOKENS] }));
  const { store, clock } = tempStore(t);
  const adapters = new Proxy({}, { get: () => { throw new Error('an adapter was reached'); } }) as Adapters;
  const metrics = createMetrics();
  const syncs = new SyncService({ config, adapters, store, metrics, clock, log: () => {} });
  const app = await buildApp({ config, store, metrics, clock, syncs });
  t.teardown(async () => {
    await app.close();
    await syncs.close();
  });
  const post = (role: keyof typeof TOKENS, flow: string, payload: object) =>
    app.inject({ method: 'POST', url: `/api/v1/syncs/${flow}/run`, payload, headers: { authorization: `Bearer ${TOKENS[role]}` } });
  return { app, store, post };
}

t.test('a reverse run writes into production: tech-lead or cto only', async (t) => {
  const { store, post } = await setUp(t);
  for (const role of ['operator', 'sre'] as const) {
    const refused = await post(role, 'metadata', { reverse: true, since: '2000-01-01T00:00:00Z' });
    t.equal(refused.statusCode, 403, role);
    t.match(refused.json().message, /^a reverse sync writes into production on AWS: it needs the tech-lead or cto role; demo-\w+ holds \w+$/);
  }
  t.same(await store.syncs.list(10), [], 'nothing started');
  t.same(await store.audit.list({ limit: 10 }), [], 'nothing done, nothing audited');
});

t.test('allowDeletes lets deletes past the brakes: tech-lead or cto only', async (t) => {
  const { store, post } = await setUp(t);
  const refused = await post('operator', 'site', { allowDeletes: true });
  t.equal(refused.statusCode, 403);
  t.match(refused.json().message, /^allowDeletes lets deletes past the safety brakes: it needs the tech-lead or cto role/);
  t.same(await store.syncs.list(10), []);
});

t.test('a forward run in contingency answers 409 naming the run; readiness and metrics show it', async (t) => {
  const { app, store, post } = await setUp(t);
  await store.contingencies.begin('run-42', 'activation');
  const held = await post('tech-lead', 'all', {});
  t.equal(held.statusCode, 409);
  t.match(held.json().message, /^drsentinel is in contingency since \S+ \(run run-42, activation\): a forward site sync would undo what the standby took in/);
  t.same(await store.syncs.list(10), [], 'nothing started');
  const readiness = (await app.inject({ method: 'GET', url: '/api/v1/readiness' })).json();
  t.same(readiness.contingency, { runId: 'run-42', runbook: 'activation', since: (await store.contingencies.current())!.since });
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /^dr_contingency 1$/m);
  await store.contingencies.end('the DNS cutback of run run-43');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/readiness' })).json().contingency, null);
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /^dr_contingency 0$/m);
});
