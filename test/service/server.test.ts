import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { serve } from '../../src/server.js';
import { FIXTURE_ENV, writeValidConfig } from '../cli/config-file.js';

t.test('serve listens on the configured address, answers, and shuts down on the signal', async (t) => {
  const dir = t.testdir();
  const configFile = writeValidConfig(dir, 0);
  const controller = new AbortController();
  const printed: string[] = [];
  const running = await serve({ configFile, env: { ...FIXTURE_ENV, DRSENTINEL__SERVICE__LOG_LEVEL: 'silent' }, signal: controller.signal, print: (l) => printed.push(l) });
  t.teardown(() => {
    controller.abort();
    return running.done;
  });

  t.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(printed[0], `drsentinel listening on ${running.url} (API docs at ${running.url}/docs), config ${configFile}`);
  const health = await fetch(`${running.url}/health`);
  t.equal(health.status, 200);
  const metrics = await (await fetch(`${running.url}/metrics`)).text();
  t.match(metrics, /^# TYPE dr_readiness gauge$/m);
  t.ok(existsSync(join(dir, 'state', 'drsentinel.db')), 'the store lives under service.stateDir');

  controller.abort();
  await running.done;
  await t.rejects(fetch(`${running.url}/health`), 'nothing listens after shutdown');
});

t.test('an invalid config fails serve before anything starts', async (t) => {
  const dir = t.testdir();
  const configFile = writeValidConfig(dir, 0);
  await t.rejects(serve({ configFile, env: {}, signal: new AbortController().signal }), { name: 'ConfigError' });
  t.notOk(existsSync(join(dir, 'state')), 'no store was created');
});
