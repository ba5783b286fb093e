/**
 * The messages API under races: two approvals at once send once (the second is a 200 replay),
 * a reject that loses to an approval is a 409, four eyes are a 403, a retry is explicit.
 */
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Message, Notifier } from '../../src/core/ports.js';
import { createMetrics } from '../../src/metrics/index.js';
import { Communications } from '../../src/runbooks/communications.js';
import { tempStore } from '../store/temp-store.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKENS = { sre: ['chen', 'sre'], cto: ['dagny', 'cto'], 'cto-2': ['hank', 'cto'] } as const;
type Who = keyof typeof TOKENS;

async function setUp(t: Test, fourEyes: boolean) {
  const { config } = loadConfig(fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url)), { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'x' });
  config.auth.tokens = Object.entries(TOKENS).map(([token, [name, role]]) => ({ name, sha256: sha256(token), roles: [role] }));
  config.activation.fourEyes = fourEyes;
  const { store, clock } = tempStore(t);
  const got: Message[] = [];
  // Slow enough that a second request arrives while the first is still delivering.
  const statusPage: Notifier = { channel: 'status-page', send: async (m) => void (await new Promise((go) => setTimeout(go, 50)), got.push(m)) };
  const comms = new Communications(store, () => [], () => [statusPage], { fourEyes: config.activation.fourEyes });
  const app = await buildApp({ config, store, metrics: createMetrics(), clock, comms });
  t.teardown(() => app.close());
  const post = (who: Who, url: string, payload: object = {}) => app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${who}` } });
  const held = async (who: Who) => (await post(who, '/api/v1/messages', { kind: 'external-initial', text: 'Back soon.' })).json() as { id: string; status: string };
  return { store, got, post, held };
}

t.test('two approvals at once: one delivery, both answered 200 with the message as it stands', async (t) => {
  const { got, post, held } = await setUp(t, false);
  const { id } = await held('sre');
  const [a, b] = await Promise.all([post('cto', `/api/v1/messages/${id}/approval`, { decision: 'approve' }), post('cto-2', `/api/v1/messages/${id}/approval`, { decision: 'approve' })]);
  t.same([a.statusCode, b.statusCode], [200, 200]);
  t.same([a.json().status, b.json().status].sort(), ['sending', 'sent']);
  t.equal(got.length, 1, 'the status page got it once');
});

t.test('approve and reject at once: the reject that lost answers 409, the message is sent', async (t) => {
  const { got, post, held } = await setUp(t, false);
  const { id } = await held('sre');
  const [approved, rejected] = await Promise.all([post('cto', `/api/v1/messages/${id}/approval`, { decision: 'approve' }), post('cto-2', `/api/v1/messages/${id}/approval`, { decision: 'reject' })]);
  t.equal(approved.statusCode, 200);
  t.equal(approved.json().status, 'sent');
  t.equal(rejected.statusCode, 409);
  t.match(rejected.json(), { error: 'conflict', message: /is being sent \(approved by dagny\): it can no longer be rejected|was sent at .* it can no longer be rejected/ });
  t.equal(got.length, 1);
});

t.test('activation.fourEyes: true — the author may not approve, another CTO may', async (t) => {
  const { got, post, held } = await setUp(t, true);
  const own = await held('cto');
  t.equal(own.status, 'awaiting-approval', "a CTO's own message waits");
  const refused = await post('cto', `/api/v1/messages/${own.id}/approval`, { decision: 'approve' });
  t.equal(refused.statusCode, 403);
  t.match(refused.json().message, /^four eyes \(activation\.fourEyes\): dagny wrote message/);
  t.same(got, []);
  const approved = await post('cto-2', `/api/v1/messages/${own.id}/approval`, { decision: 'approve' });
  t.match(approved.json(), { status: 'sent', decidedBy: 'hank' });
});

t.test('activation.fourEyes: false — the author approves by writing', async (t) => {
  const { got, held } = await setUp(t, false);
  t.equal((await held('cto')).status, 'sent');
  t.equal(got.length, 1);
});

t.test('a retry is explicit: a sent message is a 409, an external one needs a CTO', async (t) => {
  const { store, post, held } = await setUp(t, false);
  const { id } = await held('cto');
  const again = await post('cto', `/api/v1/messages/${id}/retry`);
  t.equal(again.statusCode, 409);
  t.match(again.json().message, /is sent: only a failed message, or one whose delivery a restart interrupted, is sent again/);
  const cut = await store.messages.create({ kind: 'external-initial', audience: 'external', status: 'sending', subject: 's', body: 'b', createdBy: 'chen', decidedBy: 'dagny' });
  await store.messages.markInterrupted('interrupted');
  t.equal((await post('sre', `/api/v1/messages/${cut.id}/retry`)).statusCode, 403);
  const retried = await post('cto', `/api/v1/messages/${cut.id}/retry`);
  t.equal(retried.statusCode, 200);
  t.equal(retried.json().status, 'sent');
  t.equal((await post('cto', '/api/v1/messages/nope/retry')).statusCode, 404);
});
