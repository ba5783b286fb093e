import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Agent, fetch as undiciFetch } from 'undici';
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

/** A self-signed certificate for 127.0.0.1, made by openssl in `dir`. */
function selfSigned(dir: string): { cert: string; certFile: string; key: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { cert: readFileSync(certFile, 'utf8'), certFile, key: readFileSync(keyFile, 'utf8') };
}

/** The valid config with service.tls: the certificate from a file, the key from a variable. */
function writeTlsConfig(dir: string, certFile: string): string {
  const file = writeValidConfig(dir, 0);
  const tls = `  tls: { cert: { file: ${JSON.stringify(certFile)} }, key: { env: DRS_TEST_TLS_KEY } }`;
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^service:$/m, `service:\n${tls}`));
  return file;
}

t.test('with service.tls it serves HTTPS with that certificate', async (t) => {
  const dir = t.testdir();
  const { cert, certFile, key } = selfSigned(dir);
  const controller = new AbortController();
  const printed: string[] = [];
  const env = { ...FIXTURE_ENV, DRS_TEST_TLS_KEY: key, DRSENTINEL__SERVICE__LOG_LEVEL: 'silent' };
  const running = await serve({ configFile: writeTlsConfig(dir, certFile), env, signal: controller.signal, print: (l) => printed.push(l) });
  t.teardown(() => {
    controller.abort();
    return running.done;
  });
  const trusting = new Agent({ connect: { ca: cert } });
  t.teardown(() => trusting.close());

  t.match(running.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.match(printed[0], `drsentinel listening on ${running.url} (API docs at ${running.url}/docs)`);
  const health = await undiciFetch(`${running.url}/health`, { dispatcher: trusting });
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ok' });
  const audit = await undiciFetch(`${running.url}/api/v1/audit`, { dispatcher: trusting });
  t.equal(audit.status, 401, 'the guard runs behind TLS too');
  await t.rejects(undiciFetch(`${running.url}/health`), 'a client that does not trust the certificate is refused');
  await t.rejects(undiciFetch(running.url.replace('https:', 'http:') + '/health'), 'no plain HTTP on that port');

  controller.abort();
  await running.done;
  await t.rejects(undiciFetch(`${running.url}/health`, { dispatcher: trusting }), 'nothing listens after shutdown');
});

t.test('a certificate or key that is not PEM stops serve, naming service.tls and not the contents', async (t) => {
  const dir = t.testdir();
  const { certFile } = selfSigned(dir);
  const env = { ...FIXTURE_ENV, DRS_TEST_TLS_KEY: 'not-a-key-SECRETISH', DRSENTINEL__SERVICE__LOG_LEVEL: 'silent' };
  const err = await serve({ configFile: writeTlsConfig(dir, certFile), env, signal: new AbortController().signal, print: () => {} }).catch((e: Error) => e);
  t.match(err, { name: 'UsageError', message: /^service\.tls: the certificate and key cannot serve HTTPS: / });
  t.notMatch((err as Error).message, 'SECRETISH');
});
