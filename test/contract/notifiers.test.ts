/** E-mail (SMTP, against the lab's sink) and webhook (against its receiver) pass the one Notifier contract. */
import t from 'tap';
import { FaultSwitch } from '../../lab/faults.js';
import { startSmtpSink } from '../../lab/smtp.js';
import { startWebhookSink } from '../../lab/webhook.js';
import { freePort } from '../../lab/ports.js';
import { buildEmailNotifier } from '../../src/adapters/notify/email.js';
import { buildWebhookNotifier } from '../../src/adapters/notify/webhook.js';
import { notifierContract } from './notifier.js';

const PASSWORD = 'smtp-pa55word-never-shown';
const TOKEN = 'webhook-t0ken-never-shown';

t.test('email', async (t) => {
  notifierContract(t, async (t) => {
    const faults = new FaultSwitch();
    const sink = await startSmtpSink({ host: '127.0.0.1', faults });
    t.teardown(() => sink.close());
    const email = (port: number) => buildEmailNotifier(
      { host: '127.0.0.1', port, secure: false, user: 'drsentinel', password: { env: 'SMTP_PASSWORD' }, from: 'dr@drsentinel.test', techLead: 'lead@drsentinel.test', devops: ['ops@drsentinel.test'] },
      { SMTP_PASSWORD: PASSWORD },
    );
    return {
      notifier: email(sink.port),
      secret: PASSWORD,
      received: () => sink.messages().map((m) => ({ kind: String(m.headers['x-drsentinel-kind']), subject: m.subject, text: m.text ?? '' })),
      refuse: () => faults.set('smtp', { status: 503 }),
      accept: () => faults.clear(),
      unreachable: async () => email(await freePort('127.0.0.1')),
    };
  });
});

t.test('webhook', async (t) => {
  notifierContract(t, async (t) => {
    const faults = new FaultSwitch();
    const sink = await startWebhookSink({ host: '127.0.0.1', token: TOKEN, faults });
    t.teardown(() => sink.close());
    const webhook = (url: string) => buildWebhookNotifier({ url, token: { env: 'HOOK_TOKEN' } }, { HOOK_TOKEN: TOKEN });
    return {
      notifier: webhook(sink.url),
      secret: TOKEN,
      received: () => sink.received().filter((call) => call.status === 200).map((call) => {
        const body = call.body as { kind: string; subject: string; text: string };
        return { kind: body.kind, subject: body.subject, text: body.text };
      }),
      refuse: () => faults.set('webhook', { status: 503 }),
      accept: () => faults.clear(),
      unreachable: async () => webhook(`http://127.0.0.1:${await freePort('127.0.0.1')}/hooks/drsentinel`),
    };
  });
});
