import t from 'tap';
import { dnsStandbyCheck } from '../../probes/dns-standby.js';
import { runCheck } from '../../src/core/result.js';
import { NEW, OLD, STAGING, startTestDnsTwin } from '../helpers/dns-twin.js';

const now = () => new Date();

t.test('the standby record pointed elsewhere on the authority: the resolvers that see it are named; pointed back, it passes', async (t) => {
  const { dns, resolvers } = await startTestDnsTwin(t);
  let gatewayIp = OLD;
  const check = dnsStandbyCheck({ name: STAGING, resolvers, expectedAddresses: async () => [gatewayIp], maxTtlSeconds: 300, minResolvers: 3 });
  const run = () => runCheck(check, { now }, 10_000);

  const ok = await run();
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, `${STAGING} resolves to ${OLD} on all 3 resolvers`);
  t.same(ok.measurements, { agreeing: 3, resolvers: 3, maxTtlSeconds: 2 });

  dns.setRecord(STAGING, 'A', [NEW], 2);
  dns.flush(1);
  const moved = await run();
  t.equal(moved.status, 'fail');
  t.equal(moved.reason, `${STAGING} should resolve to ${OLD} but 1 of 3 resolvers disagree: ${resolvers[1]!.name} answered ${NEW}, cached for up to 2 s more`);
  t.equal(moved.measurements.agreeing, 2);
  t.same(moved.evidence.expected, [OLD]);

  dns.setRecord(STAGING, 'A', [OLD], 2);
  dns.flush(1);
  t.equal((await run()).status, 'pass', 'repaired');

  gatewayIp = NEW;
  const gatewayMoved = await run();
  t.equal(gatewayMoved.status, 'fail', 'the gateway is asked each time: a new gateway address is caught too');
  t.match(gatewayMoved.reason, `should resolve to ${NEW} but 3 of 3 resolvers disagree`);
});

t.test('a gateway that cannot be asked or has no public address fails saying so', async (t) => {
  const { resolvers } = await startTestDnsTwin(t);
  const base = { name: STAGING, resolvers, maxTtlSeconds: 300 };
  const unreadable = await runCheck(dnsStandbyCheck({ ...base, expectedAddresses: async () => Promise.reject(new Error('AuthorizationFailed')) }), { now }, 10_000);
  t.equal(unreadable.status, 'fail');
  t.equal(unreadable.reason, `the Application Gateway's public address cannot be read, so ${STAGING} cannot be checked: AuthorizationFailed`);
  const none = await runCheck(dnsStandbyCheck({ ...base, expectedAddresses: async () => [] }), { now }, 10_000);
  t.equal(none.reason, `the Application Gateway has no public address for ${STAGING} to point at`);
});
