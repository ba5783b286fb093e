import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import t from 'tap';
import { main } from '../../src/cli.js';
import { openStore } from '../../src/store/index.js';
import { FIXTURES, FIXTURE_ENV, writeValidConfig } from './config-file.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = FIXTURE_ENV) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stdout, stderr };
}

t.test('config validate: a valid file exits 0', async (t) => {
  const file = join(FIXTURES, 'valid.yaml');
  const res = await run(['config', 'validate', file]);
  t.equal(res.code, 0, res.stderr);
  t.equal(res.stdout, `${file}: valid\n`);
});

t.test('config validate: three mistakes exit 2, each named with its file and field', async (t) => {
  const file = join(FIXTURES, 'three-mistakes.yaml');
  const res = await run(['config', 'validate', file]);
  t.equal(res.code, 2);
  t.equal(res.stdout, '');
  t.match(res.stderr, /invalid config \(3 problems\)/);
  t.match(res.stderr, new RegExp(`^${file}: /service/port: .+$`, 'm'));
  t.match(res.stderr, new RegExp(`^${file}: /checks/probeEverySeconds: unknown field$`, 'm'));
  t.match(res.stderr, new RegExp(`^${file}: /azure/cosmos/key: .+$`, 'm'));
});

t.test('config validate finds the file through --config or DRSENTINEL_CONFIG, else says how', async (t) => {
  const file = join(FIXTURES, 'valid.yaml');
  t.equal((await run(['config', 'validate', '--config', file])).code, 0);
  t.equal((await run(['config', 'validate'], { ...FIXTURE_ENV, DRSENTINEL_CONFIG: file })).code, 0);
  const none = await run(['config', 'validate']);
  t.equal(none.code, 2);
  t.match(none.stderr, 'no config: pass --config FILE or set DRSENTINEL_CONFIG (or run `drsentinel lab` and use .lab/drsentinel.yaml)');
});

t.test('usage errors exit 2 with the usage on stderr', async (t) => {
  const unknown = await run(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown command "frobnicate"/);
  t.match(unknown.stderr, /config validate +check a config file/);

  const none = await run([]);
  t.equal(none.code, 2);

  const flag = await run(['sync', 'site', '--fast']);
  t.equal(flag.code, 2);
  t.match(flag.stderr, 'drsentinel sync: unknown option --fast\n');
  t.match(flag.stderr, /usage: drsentinel sync <site\|uploads\|metadata\|all>/);

  const flow = await run(['sync', 'photos']);
  t.equal(flow.code, 2);
  t.match(flow.stderr, '<flow> must be one of site, uploads, metadata, all, not "photos"');

  const format = await run(['report', 'monthly', '--format', 'pdf']);
  t.equal(format.code, 2);
  t.match(format.stderr, '--format must be one of html, md, json');

  t.equal((await run(['audit'])).code, 2, 'audit needs its action');
  t.equal((await run(['config', 'validate', 'a.yaml', 'b.yaml'])).code, 2, 'one file at most');
});

t.test('--help: the overview and one per command, on stdout, exit 0', async (t) => {
  const all = await run(['--help']);
  t.equal(all.code, 0);
  for (const name of ['serve', 'lab', 'sync', 'check', 'report monthly', 'activate', 'rollback', 'drill', 'decide', 'config validate', 'audit verify']) {
    t.match(all.stdout, new RegExp(`^  ${name} `, 'm'), name);
  }
  const one = await run(['activate', '--help']);
  t.equal(one.code, 0);
  t.match(one.stdout, 'usage: drsentinel activate --scenario T --reason T [--dry-run]');
});

t.test('the runbook clients need a token, and say so when the service does not answer', async (t) => {
  const noToken = await run(['drill', 'dry-run'], { ...FIXTURE_ENV, DRSENTINEL_TOKEN: '' });
  t.equal(noToken.code, 2);
  t.match(noToken.stderr, 'no token: pass --token T or set DRSENTINEL_TOKEN');
  const noScenario = await run(['activate', '--reason', 'test', '--token', 'x']);
  t.equal(noScenario.code, 2);
  t.match(noScenario.stderr, '--scenario is required');
  const down = await run(['rollback', '--reason', 'back', '--token', 'x', '--server', 'http://127.0.0.1:9']);
  t.equal(down.code, 2);
  t.match(down.stderr, 'the service at http://127.0.0.1:9 does not answer');
  t.notMatch(down.stderr, 'usage:', 'the syntax was right: no usage repeated after the reason');
  t.equal(down.stdout, '', 'nothing on stdout');
});

t.test('audit verify: a fresh store is intact (exit 0); a missing store is a config error', async (t) => {
  const dir = t.testdir();
  const config = writeValidConfig(dir);
  const missing = await run(['audit', 'verify', '--config', config]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, `no store at ${join(dir, 'state', 'drsentinel.db')}`);

  await openStore(join(dir, 'state', 'drsentinel.db')).close();
  const fresh = await run(['audit', 'verify', '--config', config]);
  t.equal(fresh.code, 0, fresh.stderr);
  t.equal(fresh.stdout, 'audit log intact: 0 rows\n');

  const store = openStore(join(dir, 'state', 'drsentinel.db'));
  await store.audit.append({ actor: 'alice', action: 'drill.start', target: 'run-1', details: {} });
  await store.close();
  const json = await run(['audit', 'verify', '--json'], { ...FIXTURE_ENV, DRSENTINEL_CONFIG: config });
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), { ok: true, rows: 1 });
});

t.test('the built bin answers --help', async (t) => {
  const bin = resolve(import.meta.dirname, '../../dist/src/cli.js');
  if (!existsSync(bin)) {
    t.pass('the bin itself', { skip: `${bin} not built: run npm run build to test the bin itself` });
    return;
  }
  const res = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  t.equal(res.status, 0, res.stderr);
  t.match(res.stdout, /^usage: drsentinel <command>/);
});

t.test('config validate --print shows the effective config without secret values', async (t) => {
  const dir = t.testdir();
  const config = writeValidConfig(dir);
  const res = await run(['config', 'validate', config, '--print']);
  t.equal(res.code, 0);
  t.match(res.stdout, /valid\n/);
  t.match(res.stdout, /rpoHours: 24/, 'defaults applied');
  t.match(res.stdout, /sha256:[0-9a-f]{4}…/, 'token hashes shortened');
  t.notMatch(res.stdout, /[0-9a-f]{64}/, 'no full token hash');
});
