/**
 * The SMTP sink and the webhook receiver with drsentinel's notifiers (nodemailer, fetch):
 * what arrives is what was sent, secrets stay out of every error, and a receiver's refusal
 * becomes a clear error.
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSmtpSink } from '../../lab/smtp.js';
import { startWebhookSink } from '../../lab/webhook.js';
import { buildEmailNotifier } from '../../src/adapters/notify/email.js';
import { buildWebhookNotifier, WebhookNotifier } from '../../src/adapters/notify/webhook.js';
import type { Message } from '../../src/core/ports.js';

const PASSWORD = 'smtp-pa55word-never-shown';
const TOKEN = 'webhook-t0ken-never-shown';
const MESSAGE: Message = {
  kind: 'sync-failure',
  subject: 'uploads sync failed 2 days in a row (throttling) — Übersicht',
  text: 'The uploads sync failed.\nFailure class: throttling\n',
  html: '<p>The <b>uploads</b> sync failed: café</p>',
  data: { flow: 'uploads', failureClass: 'throttling' },
};

async function smtp(t: Test) {
  const sink = await startSmtpSink({ host: '127.0.0.1' });
  t.teardown(() => sink.close());
  const email = (port = sink.port) =>
    buildEmailNotifier(
      { host: '127.0.0.1', port, secure: false, user: 'drsentinel', password: { env: 'SMTP_PASSWORD' }, from: 'drsentinel@example.test', techLead: 'lead@example.test', devops: ['ops1@example.test', 'ops2@example.test'] },
      { SMTP_PASSWORD: PASSWORD },
    );
  return { sink, email };
}

t.test('an e-mail arrives with its subject, text and HTML, to DevOps unless it names someone', async (t) => {
  const { sink, email } = await smtp(t);
  await email().send(MESSAGE);
  await email().send({ ...MESSAGE, kind: 'monthly-report', subject: 'Readiness', to: ['lead@example.test'] });
  const [alert, report] = sink.messages();
  t.match(alert, { from: 'drsentinel@example.test', to: ['ops1@example.test', 'ops2@example.test'], subject: MESSAGE.subject, text: MESSAGE.text, html: MESSAGE.html, user: 'drsentinel' });
  t.equal(alert?.headers['x-drsentinel-kind'], 'sync-failure');
  t.same(report?.to, ['lead@example.test']);
  t.notOk(alert?.raw.includes(PASSWORD), 'the password is not in the message');
});

t.test('an unreachable SMTP server is a clear error without the password', async (t) => {
  const { sink, email } = await smtp(t);
  const closedPort = sink.port;
  await sink.close();
  const err = await email(closedPort).send(MESSAGE).then(() => undefined, (e: Error) => e);
  t.match(err?.message, /the sync-failure e-mail to ops1@example\.test, ops2@example\.test was not sent: .*ECONNREFUSED/);
  t.notOk(err?.message.includes(PASSWORD));
});

t.test('a webhook call carries the message as JSON and the bearer token', async (t) => {
  const hook = await startWebhookSink({ host: '127.0.0.1', token: TOKEN });
  t.teardown(() => hook.close());
  await buildWebhookNotifier({ url: hook.url, token: { env: 'HOOK_TOKEN' } }, { HOOK_TOKEN: TOKEN }).send(MESSAGE);
  const [call] = hook.received();
  t.match(call, { method: 'POST', status: 200, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
  t.same(call?.body, { kind: MESSAGE.kind, subject: MESSAGE.subject, text: MESSAGE.text, data: MESSAGE.data });
});

t.test('a refusing receiver is a clear error naming its host only', async (t) => {
  const hook = await startWebhookSink({ host: '127.0.0.1', token: TOKEN });
  t.teardown(() => hook.close());
  const host = new URL(hook.url).host;
  const noToken = new WebhookNotifier(hook.url, undefined).send(MESSAGE);
  await t.rejects(noToken, { message: `the sync-failure webhook to ${host} was refused: HTTP 401 (check notify.webhook.token)` });
  hook.respondWith(503);
  const err = await new WebhookNotifier(hook.url, TOKEN).send(MESSAGE).then(() => undefined, (e: Error) => e);
  t.equal(err?.message, `the sync-failure webhook to ${host} was refused: HTTP 503`);
  t.notOk(err?.message.includes(TOKEN) || err?.message.includes('/hooks/'), 'neither the token nor the URL path');
  hook.respondWith(undefined);
  await new WebhookNotifier(hook.url, TOKEN).send(MESSAGE);
  t.same(hook.received().map((c) => c.status), [401, 503, 200]);
});

t.test('a receiver that never answers is given up on', async (t) => {
  const silent = http.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { silent.closeAllConnections(); silent.close(() => resolve()); }));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
  await t.rejects(new WebhookNotifier(url, TOKEN, 300).send(MESSAGE), { message: /was not delivered: no answer within 300 ms/ });
});
