/**
 * A drill's messages say so first thing, on every channel: the game day's company-wide
 * announcement goes through the activation's own `announce` step to a real SMTP sink and
 * webhook receiver; a real activation's does not carry the mark.
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import { startSmtpSink } from '../../lab/smtp.js';
import { startWebhookSink } from '../../lab/webhook.js';
import { buildEmailNotifier } from '../../src/adapters/notify/email.js';
import { buildWebhookNotifier } from '../../src/adapters/notify/webhook.js';
import { loadConfig } from '../../src/config/load.js';
import type { StepContext } from '../../src/core/runbook.js';
import { activationSteps } from '../../src/runbooks/activation.js';
import { Communications } from '../../src/runbooks/communications.js';
import type { RunbookDeps } from '../../src/runbooks/deps.js';
import { tempStore } from '../store/temp-store.js';

const TOKEN = 'hook-token';

async function setUp(t: Test) {
  const { config } = loadConfig(fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url)), { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'x' });
  const { store } = tempStore(t);
  const smtp = await startSmtpSink({ host: '127.0.0.1' });
  const hook = await startWebhookSink({ host: '127.0.0.1', token: TOKEN });
  t.teardown(async () => {
    await smtp.close();
    await hook.close();
  });
  const email = buildEmailNotifier({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'drsentinel@example.test', techLead: 'lead@example.test', devops: ['ops@example.test'] });
  const webhook = buildWebhookNotifier({ url: `${hook.url}/team`, token: { env: 'HOOK' } }, { HOOK: TOKEN });
  const statusPage = buildWebhookNotifier({ url: `${hook.url}/status-page`, token: { env: 'HOOK' } }, { HOOK: TOKEN });
  const comms = new Communications(store, () => [email, webhook], () => [statusPage]);
  const announce = activationSteps({ config, store, comms } as unknown as RunbookDeps).find((s) => s.id === 'announce')!;
  /** Starts a run as the service would, and runs its announcement. */
  const announceRun = async (runbook: string, dryRun: boolean, scenario: string) => {
    const id = `${runbook}-${dryRun ? 'dry' : 'live'}`;
    const params = { scenario, reason: 'practice', startedBy: 'chen', startedAt: '2026-03-02T03:00:00.000Z' };
    await store.runs.create({ id, runbook, dryRun, params, startedBy: 'chen' }, [{ stepId: 'announce', title: announce.title }]);
    await announce.act!({ runId: id, runbook, dryRun, params, signal: new AbortController().signal } as unknown as StepContext);
    return id;
  };
  const posted = (path: string) => hook.received().filter((c) => c.path.endsWith(path)).map((c) => c.body as { subject: string; text: string });
  return { store, comms, smtp, posted, announceRun };
}

t.test("a game day's announcement is marked [DRILL] in the e-mail and the webhook, subject and text", async (t) => {
  const { smtp, posted, announceRun, store } = await setUp(t);
  await announceRun('game-day', false, 'drill (game-day)');
  const [mail] = smtp.messages();
  t.match(mail?.subject, /^\[DRILL\] \[DR\] Disaster recovery activated: drill \(game-day\)$/);
  t.match(mail?.text, /^\[DRILL\] This is a drill, not an incident\.\s+The disaster-recovery plan is activated/);
  const [call] = posted('/team');
  t.match(call?.subject, /^\[DRILL\] /);
  t.match(call?.text, /^\[DRILL\] /);
  t.match(await store.messages.forRun('game-day-live'), [{ status: 'sent', subject: /^\[DRILL\] / }], 'stored as sent');
});

t.test("a drill's every message is marked, internal and external", async (t) => {
  const { comms, smtp, posted, store } = await setUp(t);
  await store.runs.create({ id: 'gd', runbook: 'game-day', dryRun: false, params: {}, startedBy: 'chen' }, []);
  await store.runs.create({ id: 'rehearsal', runbook: 'activation', dryRun: true, params: { scenario: 'drill (dry-run)' }, startedBy: 'chen' }, []);
  const cto = { name: 'dagny', roles: ['cto'] as const };
  for (const runId of ['gd', 'rehearsal']) {
    for (const kind of ['internal-alert', 'status-update', 'stabilisation', 'external-initial', 'external-progress', 'external-return'] as const) {
      const record = await comms.post(kind, { runId, text: 'practice' }, cto);
      t.match(record, { status: 'sent', subject: /^\[DRILL\] /, body: /^\[DRILL\] / }, `${runId} ${kind}`);
    }
  }
  const delivered = [...smtp.messages().map((m) => ({ subject: m.subject, text: m.text ?? '' })), ...posted('/team'), ...posted('/status-page')];
  t.equal(delivered.length, 2 * (3 * 2 + 3));
  t.ok(delivered.every((m) => m.subject.startsWith('[DRILL] ') && m.text.startsWith('[DRILL] ')), 'every delivered subject and text begins with [DRILL]');
});

t.test("a real activation's announcement carries no drill mark", async (t) => {
  const { smtp, posted, announceRun } = await setUp(t);
  await announceRun('activation', false, 'S3 down in eu-west-1');
  const [mail] = smtp.messages();
  t.match(mail?.subject, /^\[DR\] Disaster recovery activated: S3 down in eu-west-1$/);
  t.match(mail?.text, /^The disaster-recovery plan is activated/);
  t.notMatch(JSON.stringify(posted('/team')), /DRILL/);
});
