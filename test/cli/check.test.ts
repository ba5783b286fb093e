import t from 'tap';
import { main } from '../../src/cli.js';
import { checkCommandWith } from '../../src/cli/check.js';
import type { CheckEntry } from '../../src/checks/suites.js';
import { fail, pass, warn } from '../../src/core/result.js';
import { openStore } from '../../src/store/index.js';
import { loadConfig } from '../../src/config/load.js';
import { storeFile } from '../../src/config/paths.js';
import { FIXTURE_ENV, writeValidConfig } from './config-file.js';

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) }, env: FIXTURE_ENV, signal: new AbortController().signal } };
}

const entry = (id: string, suites: CheckEntry['suites'], outcome: () => ReturnType<typeof pass>): CheckEntry => ({
  id,
  title: id,
  suites,
  build: () => ({ id, title: id, run: async () => outcome() }),
});

const registry = [
  entry('site', ['smoke', 'monthly'], () => pass('the site answers 200')),
  entry('ttl', ['smoke'], () => warn('TTL 600 s is long')),
  entry('vault', ['monthly'], () => fail('the certificate expires in 10 days', { daysLeft: 10 })),
];

t.test('every check passes or warns: exit 0, one line per check', async (t) => {
  const config = writeValidConfig(t.testdir());
  const { out, io: cli } = io();
  const code = await checkCommandWith(registry).run({ values: { config }, words: { suite: 'smoke' } }, cli);
  t.equal(code, 0, out.stderr);
  const lines = out.stdout.trimEnd().split('\n');
  t.equal(lines.length, 2);
  t.match(lines[0], /^✔ smoke\/site \(\d+\.\d s\) the site answers 200$/);
  t.match(lines[1], /^! smoke\/ttl \(\d+\.\d s\) TTL 600 s is long$/);
});

t.test('a failed check: exit 1, and the results are in the store the service reads', async (t) => {
  const config = writeValidConfig(t.testdir());
  const { out, io: cli } = io();
  const code = await checkCommandWith(registry).run({ values: { config, json: true }, words: { suite: 'monthly' } }, cli);
  t.equal(code, 1);
  const summary = JSON.parse(out.stdout);
  t.equal(summary.suite, 'monthly');
  t.equal(summary.status, 'fail');
  t.same(summary.results.map((r: { check: string; result: { status: string } }) => [r.check, r.result.status]), [['site', 'pass'], ['vault', 'fail']]);
  const store = openStore(storeFile(loadConfig(config, FIXTURE_ENV).config));
  t.teardown(() => store.close());
  t.same((await store.checks.latest()).map((r) => [r.suite, r.check, r.result.reason]), [['monthly', 'site', 'the site answers 200'], ['monthly', 'vault', 'the certificate expires in 10 days']]);
});

t.test('all: every suite, one JSON document', async (t) => {
  const config = writeValidConfig(t.testdir());
  const { out, io: cli } = io();
  const code = await checkCommandWith(registry).run({ values: { config, json: true }, words: { suite: 'all' } }, cli);
  t.equal(code, 1);
  t.same(JSON.parse(out.stdout).suites.map((s: { suite: string; status: string }) => [s.suite, s.status]), [
    ['monthly', 'fail'], ['standby', 'skip'], ['smoke', 'warn'], ['e2e', 'skip'], ['complementary', 'skip'], ['sampling', 'skip'],
  ]);
});

t.test('usage errors exit 2', async (t) => {
  const { out, io: cli } = io();
  t.equal(await main(['check', 'weekly'], cli), 2);
  t.match(out.stderr, /monthly\|standby\|smoke\|e2e\|complementary\|sampling\|all/);
  t.equal(await main(['check', 'smoke'], { ...cli, env: {} }), 2, 'no config');
  t.match(out.stderr, /no config/);
});

t.test('the real registry: a website that cannot be reached fails static-site, exit 1', async (t) => {
  const config = writeValidConfig(t.testdir());
  const { out, io: cli } = io();
  t.equal(await main(['check', 'smoke', '--config', config], cli), 1, out.stderr);
  t.match(out.stdout, /^✘ smoke\/static-site \(\d+\.\d s\) the static website cannot be reached at http:\/\/127\.0\.0\.1:10080\/index\.html: .+$/m);
});
