import t from 'tap';
import { VERSION } from '../../src/core/version.js';
import { harness } from './harness.js';

t.test('GET /health answers 200 with the role, the store engine, the version and uptime, without a token', async (t) => {
  const h = await harness(t);
  h.setNow('2025-03-03T10:00:42Z');
  const res = await h.app.inject({ method: 'GET', url: '/health' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok', role: 'single', store: 'sqlite', version: VERSION, uptimeSeconds: 42 });
  t.match(VERSION, /^\d+\.\d+\.\d+/, 'the version comes from package.json');
});

t.test('an unknown route answers 404 in the error shape', async (t) => {
  const h = await harness(t);
  const res = await h.app.inject({ method: 'GET', url: '/nope?x=1' });
  t.equal(res.statusCode, 404);
  t.same(res.json(), { error: 'not-found', message: 'no route GET /nope' });
});
