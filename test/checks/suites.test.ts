import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { CHECKS, entriesOf } from '../../src/checks/suites.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { wireChecks } from '../../src/engines.js';
import { adaptersFor } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';
import { tempStore } from '../store/temp-store.js';

const lab = await withLab(t, { empty: true });

/** The runner as `drsentinel check` wires it. */
async function runnerFor(tt: Test, config: Config) {
  const { store } = tempStore(tt);
  const engines = await wireChecks({ config, env: process.env, store });
  tt.teardown(() => engines.close());
  return engines.checks;
}

const byId = (results: Array<{ check: string; result: { status: string; reason: string } }>) => Object.fromEntries(results.map((r) => [r.check, r.result]));

t.test('the registry: every id once per suite, kebab-case', async (t) => {
  for (const suite of ['monthly', 'standby', 'smoke', 'e2e', 'complementary', 'sampling'] as const) {
    const ids = entriesOf(suite).map((e) => e.id);
    t.equal(new Set(ids).size, ids.length, suite);
  }
  for (const entry of CHECKS) t.match(entry.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
});

t.test("the standby suite against the lab: the site, the standby record and the uploads container", async (t) => {
  const { config } = loadConfig(lab.configFile);
  const objects = adaptersFor(t, lab, () => {}).objects;
  const page = Buffer.from('<!doctype html><title>demo</title>');
  await objects.azureSite.put('index.html', Readable.from([page]), { size: page.length, contentType: 'text/html' });
  await objects.azureUploads.put('img/1.png', Readable.from([page]), { size: page.length });

  const summary = await (await runnerFor(t, config)).run('standby');
  const results = byId(summary.results);
  t.equal(results['static-site']?.status, 'pass', results['static-site']?.reason);
  t.equal(results['dns-standby']?.status, 'pass', results['dns-standby']?.reason);
  t.match(results['dns-standby']?.reason, `dr.${lab.endpoints.dns.zone} resolves to`);
  t.equal(results['uploads-container']?.status, 'pass', results['uploads-container']?.reason);
  t.match(results['uploads-container']?.reason, 'holds 1 object,');
});

t.test('a missing config section fails the check naming it', async (t) => {
  const { config } = loadConfig(lab.configFile);
  const bare = structuredClone(config);
  delete bare.dns.standbyRecord;
  delete bare.azure.appGateway;
  const results = byId((await (await runnerFor(t, bare)).run('standby')).results);
  t.equal(results['dns-standby']?.status, 'fail');
  t.equal(results['dns-standby']?.reason, 'dns-standby cannot run: the dns-standby check needs dns.standbyRecord in the config, which is missing');
});
