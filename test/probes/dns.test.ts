import t from 'tap';
import { dnsAgreementCheck } from '../../probes/dns.js';
import { runCheck } from '../../src/core/result.js';
import { UdpResolver } from '../../src/adapters/dns/resolver.js';
import { NEW, OLD, STAGING, ZONE, startTestDnsTwin } from '../helpers/dns-twin.js';

const now = () => new Date();
const check = (resolvers: UdpResolver[], extra: Partial<Parameters<typeof dnsAgreementCheck>[0]> = {}) =>
  runCheck(dnsAgreementCheck({ name: STAGING, expected: [OLD], resolvers, maxTtlSeconds: 300, ...extra }), { now }, 10_000);

t.test('passes when every resolver answers the expected address', async (t) => {
  const { resolvers } = await startTestDnsTwin(t);
  const result = await check(resolvers);
  t.equal(result.status, 'pass', result.reason);
  t.match(result.reason, `resolves to ${OLD} on all 3 resolvers`);
  t.same(result.measurements, { agreeing: 3, resolvers: 3, maxTtlSeconds: 2 });
  t.same(Object.values(result.evidence.resolvers as object), Array(3).fill({ answers: [OLD], ttl: 2, rcode: 'NOERROR' }));
});

t.test('a resolver still caching the old record fails the check, by name; a flush repairs it', async (t) => {
  const { dns, resolvers } = await startTestDnsTwin(t);
  const stale = resolvers[1]!;
  await stale.resolve(STAGING, 'A');
  dns.setRecord(STAGING, 'A', [NEW], 2);

  const broken = await check(resolvers, { expected: [NEW] });
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `${STAGING} should resolve to ${NEW} but 1 of 3 resolvers disagree: ${stale.name} answered ${OLD}, cached for up to 2 s more`);
  t.same((broken.evidence.resolvers as Record<string, unknown>)[stale.name], { answers: [OLD], ttl: 2, rcode: 'NOERROR' });
  t.equal(broken.measurements.agreeing, 2);

  dns.flush();
  const repaired = await check(resolvers, { expected: [NEW] });
  t.equal(repaired.status, 'pass', repaired.reason);
  t.equal(repaired.measurements.agreeing, 3);
});

t.test('a name that does not exist is said so', async (t) => {
  const { resolvers } = await startTestDnsTwin(t);
  const result = await check(resolvers, { name: `stagin.${ZONE}` });
  t.equal(result.status, 'fail');
  t.match(result.reason, `${resolvers[0]!.name} answered NXDOMAIN (no such name)`);
  t.equal(result.measurements.agreeing, 0);
  t.notOk('maxTtlSeconds' in result.measurements, 'no TTL without a record');
});

t.test('extra or missing addresses are a disagreement too', async (t) => {
  const { dns, resolvers } = await startTestDnsTwin(t);
  dns.setRecord(STAGING, 'A', [OLD, NEW], 2);
  const extra = await check(resolvers);
  t.equal(extra.status, 'fail');
  t.match(extra.reason, `answered ${OLD}, ${NEW}`);
  t.equal((await check(resolvers, { expected: [NEW, OLD] })).status, 'pass', 'order does not matter');
});

t.test('warns when the TTL is longer than a cutover allows', async (t) => {
  const { dns, resolvers } = await startTestDnsTwin(t);
  dns.setRecord(STAGING, 'A', [OLD], 3600);
  const result = await check(resolvers);
  t.equal(result.status, 'warn');
  t.match(result.reason, `TTL exceeds the 300 s allowed before a cutover on ${resolvers[0]!.name} (3600 s)`);
  t.equal(result.measurements.maxTtlSeconds, 3600);
});

t.test('a resolver that does not answer is named with the error', async (t) => {
  const { dns, resolvers } = await startTestDnsTwin(t);
  const silent = new UdpResolver(dns.resolvers[0]!, { timeoutMs: 200, retries: 0 });
  await dns.close();
  const result = await check([silent, ...resolvers.slice(1)]);
  t.equal(result.status, 'fail');
  t.match(result.reason, `${silent.name} gave no answer`);
  t.match(result.evidence.resolvers, { [silent.name]: { error: /did not answer|ECONNREFUSED/ } });
});

t.test('too few resolvers configured fails', async (t) => {
  const { resolvers } = await startTestDnsTwin(t);
  const result = await check(resolvers.slice(0, 2), { minResolvers: 3 });
  t.equal(result.status, 'fail');
  t.match(result.reason, 'only 2 resolver(s) configured');
});

t.test('an empty expectation is refused up front', async (t) => {
  t.throws(() => dnsAgreementCheck({ name: STAGING, expected: [], resolvers: [], maxTtlSeconds: 300 }), /at least one expected address/);
});
