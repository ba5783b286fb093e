import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loggerOptions } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/index.js';
import { harness, tokenOf } from './harness.js';

t.test('log lines never carry a bearer token', async (t) => {
  const h = await harness(t);
  const lines: string[] = [];
  const app = await buildApp({ config: h.config, store: h.store, metrics: createMetrics(), clock: { now: () => new Date() }, logger: loggerOptions('info', { write: (l: string) => lines.push(l) }) });
  t.teardown(() => app.close());
  app.get('/test/echo', async (request) => {
    request.log.info({ req: { headers: request.headers }, headers: request.headers }, 'seen');
    return {};
  });
  await app.ready();
  const token = tokenOf('cto');
  await app.inject({ method: 'GET', url: '/test/echo', headers: { authorization: `Bearer ${token}` } });
  const text = lines.join('');
  t.match(text, '"msg":"seen"');
  t.match(text, '"authorization":"[redacted]"');
  t.notMatch(text, token);
});
