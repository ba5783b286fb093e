/** The SMTP sink, the webhook receiver and the DNS resolvers misbehave on the lab's fault switch too. */
import t from 'tap';
import { FaultSwitch } from '../../lab/faults.js';
import { startSmtpSink } from '../../lab/smtp.js';
import { startWebhookSink } from '../../lab/webhook.js';
import { buildEmailNotifier } from '../../src/adapters/notify/email.js';
import { WebhookNotifier } from '../../src/adapters/notify/webhook.js';
import { UdpResolver } from '../../src/adapters/dns/resolver.js';
import { STAGING, startTestDnsTwin } from '../helpers/dns-twin.js';

const message = { kind: 'sync-failure', subject: 'uploads failed twice', text: 'class: network' };

t.test('smtp: a fault refuses the mail with 421; cleared, it arrives', async (t) => {
  const faults = new FaultSwitch();
  const sink = await startSmtpSink({ host: '127.0.0.1', faults });
  t.teardown(() => sink.close());
  const email = buildEmailNotifier({ host: sink.host, port: sink.port, secure: false, from: 'dr@drsentinel.test', techLead: 'lead@drsentinel.test', devops: ['ops@drsentinel.test'] });
  faults.set('smtp', { status: 503 });
  await t.rejects(email.send(message), /was not sent: .*421/);
  t.same(sink.messages(), []);
  faults.clear();
  await email.send(message);
  t.equal(sink.messages().length, 1);
});

t.test('webhook: a fault answers its status; a dropped connection is an error too', async (t) => {
  const faults = new FaultSwitch();
  const sink = await startWebhookSink({ host: '127.0.0.1', token: 'lab-token', faults });
  t.teardown(() => sink.close());
  const webhook = new WebhookNotifier(sink.url, 'lab-token', 2000);
  faults.set('webhook', { status: 503 });
  await t.rejects(webhook.send(message), /503/);
  faults.set('webhook', { dropConnection: true });
  await t.rejects(webhook.send(message));
  faults.clear();
  await webhook.send(message);
  t.equal(sink.received().filter((c) => c.status === 200).length, 1);
});

t.test('dns: a resolver answers SERVFAIL, or nothing at all', async (t) => {
  const faults = new FaultSwitch();
  const { resolvers } = await startTestDnsTwin(t, { faults });
  faults.set('dns', { status: 503 });
  t.equal((await resolvers[0]!.resolve(STAGING, 'A')).rcode, 'SERVFAIL');
  faults.set('dns', { dropConnection: true });
  await t.rejects(new UdpResolver(resolvers[0]!.name, { timeoutMs: 200 }).resolve(STAGING, 'A'), /did not answer within 200 ms/);
  faults.clear();
  t.equal((await resolvers[0]!.resolve(STAGING, 'A')).rcode, 'NOERROR');
});
