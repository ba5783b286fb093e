/** The reports API: guarded creation, list without bodies, one report in three formats. */
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import type { Message, Notifier } from '../../src/core/ports.js';
import { createMetrics } from '../../src/metrics/index.js';
import { testConfig, tokenOf } from '../service/harness.js';
import { MARKUP_REASON, marchStore } from '../reporting/fixture.js';

async function setUp(t: Test, withEmail = true) {
  const { store, clock } = await marchStore(t);
  const config = testConfig();
  if (withEmail) config.notify.email = { host: '127.0.0.1', port: 2525, secure: false, from: 'drsentinel@example.test', techLead: 'lead@example.test', devops: [] };
  const sent: Message[] = [];
  const notifier: Notifier = { channel: 'email', send: async (message) => void sent.push(message) };
  const app = await buildApp({ config, store, metrics: createMetrics(), clock, notifiers: [notifier] });
  t.teardown(() => app.close());
  const auth = (role: string) => ({ authorization: `Bearer ${tokenOf(role)}` });
  const create = (payload: object, role = 'tech-lead') => app.inject({ method: 'POST', url: '/api/v1/reports/monthly', payload, headers: auth(role) });
  return { app, store, sent, create, auth };
}

t.test('producing a report needs a token and an operating role, and is audited', async (t) => {
  const { app, store, create } = await setUp(t);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/reports/monthly', payload: {} })).statusCode, 401, 'no token');
  const viewer = await create({}, 'viewer');
  t.equal(viewer.statusCode, 403, 'a viewer');
  t.match(viewer.json().message, /needs the role operator, sre, tech-lead or cto/);
  t.equal((await create({}, 'product-manager')).statusCode, 403);

  const created = await create({});
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { id: String, month: '2026-03', verdict: 'not-ready', emailedTo: [] });
  t.match((await store.audit.list({ limit: 10 })).at(-1), { actor: 'tech-lead-holder', action: 'report.monthly', target: created.json().id, details: { month: '2026-03' } });
  t.equal((await create({}, 'operator')).statusCode, 201);
});

t.test('list without bodies, newest first; one report as JSON, HTML and Markdown', async (t) => {
  const { app, create, auth } = await setUp(t);
  const first = (await create({ month: '2026-02' })).json().id as string;
  const second = (await create({})).json().id as string;

  const list = await app.inject({ url: '/api/v1/reports', headers: auth('viewer') });
  t.equal(list.statusCode, 200);
  t.same(list.json().reports.map((r: { id: string }) => r.id), [second, first]);
  t.same(Object.keys(list.json().reports[0]).sort(), ['createdAt', 'id', 'kind', 'period']);
  t.match(list.json().reports[1], { kind: 'monthly', period: '2026-02' });

  const json = await app.inject({ url: `/api/v1/reports/${second}`, headers: auth('viewer') });
  t.equal(json.statusCode, 200);
  t.match(json.headers['content-type'], 'application/json');
  t.match(json.json(), { id: second, kind: 'monthly', period: '2026-03', report: { month: '2026-03', verdict: 'not-ready' } });
  t.equal(json.json().report.checks.length, 7);

  const html = await app.inject({ url: `/api/v1/reports/${second}?format=html`, headers: auth('viewer') });
  t.equal(html.statusCode, 200);
  t.match(html.headers['content-type'], 'text/html; charset=utf-8');
  t.match(html.body, /^<!DOCTYPE html>/);
  t.notMatch(html.body, /<script/i);

  const md = await app.inject({ url: `/api/v1/reports/${second}?format=md`, headers: auth('viewer') });
  t.equal(md.statusCode, 200);
  t.match(md.headers['content-type'], 'text/markdown; charset=utf-8');
  t.match(md.body, '# DR readiness report — 2026-03');
  t.match(md.body, MARKUP_REASON.replace(/[<>]/g, '\\$&'));

  t.equal((await app.inject({ url: `/api/v1/reports/${second}?format=pdf`, headers: auth('viewer') })).statusCode, 400);
  const missing = await app.inject({ url: '/api/v1/reports/no-such-report', headers: auth('viewer') });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { error: 'not-found', message: 'report no-such-report does not exist' });
});

t.test('a bad month is a 400; email sends to the Tech Lead, or says notify.email is missing', async (t) => {
  const { create, sent } = await setUp(t);
  t.match((await create({ month: 'March' })).json(), { error: 'bad-request', field: 'body/month' });
  t.match((await create({ month: '2027-01' })).json(), { error: 'usage', message: 'the month 2027-01 has not begun yet' });

  const mailed = await create({ email: true });
  t.equal(mailed.statusCode, 201);
  t.same(mailed.json().emailedTo, ['lead@example.test']);
  t.equal(sent.length, 1);
  t.match(sent[0], { kind: 'monthly-report', to: ['lead@example.test'], html: /<!DOCTYPE html>/ });

  const { create: createWithout } = await setUp(t, false);
  const refused = await createWithout({ email: true });
  t.equal(refused.statusCode, 400);
  t.match(refused.json().message, 'notify.email is not configured');
});
