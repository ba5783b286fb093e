/** `drsentinel report monthly` over a store on disk: files, stdout, and e-mail to the SMTP sink. */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startSmtpSink } from '../../lab/smtp.js';
import { main } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { storeFile } from '../../src/config/paths.js';
import { openStore } from '../../src/store/index.js';
import { fillMarch } from '../reporting/fixture.js';
import { ManualClock } from '../store/temp-store.js';
import { FIXTURE_ENV, writeValidConfig } from './config-file.js';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: FIXTURE_ENV });
  return { code, stdout, stderr };
}

/** A config whose state directory holds March 2026. */
async function configWithMarch(dir: string): Promise<string> {
  const file = writeValidConfig(dir);
  const clock = new ManualClock();
  const store = openStore(storeFile(loadConfig(file, FIXTURE_ENV).config), { clock });
  try {
    await fillMarch(store, clock);
  } finally {
    await store.close();
  }
  return file;
}

t.test('writes the report to --out in the chosen format, and stores it', async (t) => {
  const dir = t.testdir();
  const config = await configWithMarch(dir);
  const out = join(dir, 'march.html');
  const res = await run(['report', 'monthly', '--month', '2026-03', '--format', 'html', '--out', out, '--config', config]);
  t.equal(res.code, 0, res.stderr);
  t.equal(res.stdout, '');
  t.match(res.stderr, new RegExp(`^report [0-9a-f-]{36} for 2026-03: NOT READY; written to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  const page = readFileSync(out, 'utf8');
  t.match(page, /^<!DOCTYPE html>/);
  t.match(page, 'dns-standby');
  t.notMatch(page, /<script/i);

  const json = await run(['report', 'monthly', '--month', '2026-03', '--format', 'json', '--config', config]);
  t.equal(json.code, 0, json.stderr);
  t.match(JSON.parse(json.stdout), { kind: 'monthly', month: '2026-03', verdict: 'not-ready' });
  const md = await run(['report', 'monthly', '--month', '2026-03', '--config', config]);
  t.match(md.stdout, /^# DR readiness report — 2026-03\n/, 'Markdown by default');

  const store = openStore(storeFile(loadConfig(config, FIXTURE_ENV).config));
  t.teardown(() => store.close());
  t.equal((await store.reports.list(10, 'monthly')).length, 3);
});

t.test('usage and config mistakes exit 2 with a clear message', async (t) => {
  const dir = t.testdir();
  const config = await configWithMarch(dir);
  const email = await run(['report', 'monthly', '--email', '--config', config]);
  t.equal(email.code, 2);
  t.match(email.stderr, 'drsentinel report monthly: cannot e-mail the report: notify.email is not configured');
  t.equal(email.stdout, '');

  const month = await run(['report', 'monthly', '--month', '03/2026', '--config', config]);
  t.equal(month.code, 2);
  t.match(month.stderr, 'the month must be written YYYY-MM');

  const empty = writeValidConfig(t.testdir());
  const missing = await run(['report', 'monthly', '--config', empty]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /no store at .*drsentinel\.db: check service\.stateDir/);
});

t.test('--email sends the report over SMTP to the Tech Lead, as HTML with the seven checks', async (t) => {
  const sink = await startSmtpSink({ host: '127.0.0.1' });
  t.teardown(() => sink.close());
  const dir = t.testdir();
  const config = await configWithMarch(dir);
  appendFileSync(config, `notify:\n  email:\n    host: 127.0.0.1\n    port: ${sink.port}\n    from: drsentinel@example.test\n    techLead: lead@example.test\n`);

  const res = await run(['report', 'monthly', '--email', '--month', '2026-03', '--out', join(dir, 'march.md'), '--config', config]);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stderr, '; e-mailed to lead@example.test');
  const [mail, ...more] = sink.messages();
  t.equal(more.length, 0, 'one e-mail');
  t.match(mail, { to: ['lead@example.test'], subject: 'DR readiness report 2026-03: NOT READY', headers: { 'x-drsentinel-kind': 'monthly-report' } });
  for (const id of ['static-site', 'cosmos', 'conversion-function', 'scale-set', 'app-gateway', 'certificate', 'dns-standby']) t.match(mail!.html, id);
  t.match(mail!.text, '## Monthly checks');
});
