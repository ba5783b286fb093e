import t from 'tap';
import { dnsCutoverCheck, type NameTarget } from '../../probes/dns-cutover.js';
import { runCheck } from '../../src/core/result.js';
import { NEW, OLD, STAGING, ZONE, startTestDnsTwin } from '../helpers/dns-twin.js';

const now = () => new Date();
const target = (fqdn: string, values: string[]): NameTarget => ({ name: fqdn.replace(`.${ZONE}`, ''), fqdn, type: 'A', values });

t.test('the cutover names must answer Azure on enough resolvers; a resolver still on AWS is named', async (t) => {
  const { dns, resolvers } = await startTestDnsTwin(t);
  const check = (minResolvers: number) =>
    runCheck(dnsCutoverCheck({ targets: async () => [target(STAGING, [NEW])], resolvers, minResolvers }), { now }, 10_000);

  const before = await check(3);
  t.equal(before.status, 'fail', 'the name still answers the old address');
  t.equal(before.reason, `${STAGING} answers ${NEW} on 0 of 3 resolvers (3 needed)`);
  t.match((before.evidence.resolvers as Record<string, Record<string, string>>)[STAGING]![resolvers[0]!.name], `NOERROR ${OLD} ttl`);

  dns.setRecord(STAGING, 'A', [NEW], 2);
  dns.flush(1);
  const partly = await check(3);
  t.equal(partly.status, 'fail');
  t.equal(partly.reason, `${STAGING} answers ${NEW} on 1 of 3 resolvers (3 needed)`, 'two resolvers still serve the cached answer');
  t.equal((await check(1)).status, 'pass', 'enough for a looser rule');

  dns.flush(0);
  dns.flush(2);
  const done = await check(3);
  t.equal(done.status, 'pass', done.reason);
  t.equal(done.reason, `${STAGING} resolves to the new values on at least 3 resolvers`);
});

t.test('no name configured, or too few resolvers, fails and says which setting', async (t) => {
  const { resolvers } = await startTestDnsTwin(t);
  const none = await runCheck(dnsCutoverCheck({ targets: async () => [], resolvers, minResolvers: 3 }), { now }, 10_000);
  t.equal(none.reason, 'no name to check: set activation.cutover');
  const few = await runCheck(dnsCutoverCheck({ targets: async () => [target(STAGING, [OLD])], resolvers: resolvers.slice(0, 2), minResolvers: 3 }), { now }, 10_000);
  t.match(few.reason, /^only 2 resolvers are configured \(dns.resolvers\), 3 needed/);
});
