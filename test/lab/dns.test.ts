import t from 'tap';
import type { UdpResolver } from '../../src/adapters/dns/resolver.js';
import { NEW, OLD, STAGING, ZONE, startTestDnsTwin as twin } from '../helpers/dns-twin.js';

t.test('every server listens on its own loopback address', async (t) => {
  const { dns } = await twin(t);
  t.match(dns.authoritative, /^127\.0\.0\.53:\d+$/);
  t.same(dns.resolvers.map((r) => r.split(':')[0]), ['127.0.0.54', '127.0.0.55', '127.0.0.56']);
});

t.test('the authority answers its records with their TTL', async (t) => {
  const { authority } = await twin(t);
  t.same(await authority.resolve(STAGING, 'A'), { answers: [OLD], ttl: 2, rcode: 'NOERROR' });
  t.same(await authority.resolve(`www.${ZONE}`, 'CNAME'), { answers: [STAGING], ttl: 60, rcode: 'NOERROR' });
  // An A question on an alias follows the CNAME; the chain's smallest TTL is what may be cached.
  t.same(await authority.resolve(`www.${ZONE}`, 'A'), { answers: [OLD], ttl: 2, rcode: 'NOERROR' });
  t.same(await authority.resolve(`nowhere.${ZONE}`, 'A'), { answers: [], ttl: undefined, rcode: 'NXDOMAIN' });
  t.equal((await authority.resolve(STAGING, 'CNAME')).rcode, 'NOERROR', 'a name with no record of that type exists');
  t.equal((await authority.resolve('example.com', 'A')).rcode, 'REFUSED', 'names outside the zone are not its business');
});

t.test('a resolver keeps the old answer until its TTL runs out', async (t) => {
  const { dns, clock, resolvers } = await twin(t);
  const [warm, cold] = resolvers as [UdpResolver, UdpResolver];
  t.same((await warm.resolve(STAGING, 'A')).answers, [OLD]);
  dns.setRecord(STAGING, 'A', [NEW], 2);

  clock.ms += 1000;
  t.same(await warm.resolve(STAGING, 'A'), { answers: [OLD], ttl: 1, rcode: 'NOERROR' }, 'cached, its TTL counting down');
  t.same((await cold.resolve(STAGING, 'A')).answers, [NEW], 'a resolver that had not cached it sees the change');

  clock.ms += 1000;
  t.same(await warm.resolve(STAGING, 'A'), { answers: [NEW], ttl: 2, rcode: 'NOERROR' }, 'expired: asked the authority again');
});

t.test('flush empties one resolver cache or all of them', async (t) => {
  const { dns, resolvers } = await twin(t);
  for (const r of resolvers) await r.resolve(STAGING, 'A');
  dns.setRecord(STAGING, 'A', [NEW], 2);
  dns.flush(0);
  t.same((await resolvers[0]!.resolve(STAGING, 'A')).answers, [NEW]);
  t.same((await resolvers[1]!.resolve(STAGING, 'A')).answers, [OLD]);
  dns.flush();
  t.same((await resolvers[1]!.resolve(STAGING, 'A')).answers, [NEW]);
  t.throws(() => dns.flush(7), /no resolver 7/);
});

t.test('"no such name" is cached for the negative TTL too', async (t) => {
  const { dns, clock, resolvers } = await twin(t, { negativeTtl: 5 });
  const name = `new.${ZONE}`;
  t.equal((await resolvers[0]!.resolve(name, 'A')).rcode, 'NXDOMAIN');
  dns.setRecord(name, 'A', [NEW], 2);
  t.equal((await resolvers[0]!.resolve(name, 'A')).rcode, 'NXDOMAIN');
  clock.ms += 5000;
  t.same((await resolvers[0]!.resolve(name, 'A')).answers, [NEW]);
});

t.test('setRecord: a CNAME replaces the addresses, no values removes the name', async (t) => {
  const { dns, authority } = await twin(t);
  dns.setRecord(STAGING, 'CNAME', [`gw.${ZONE}`], 2);
  dns.setRecord(`gw.${ZONE}`, 'A', [NEW], 2);
  t.same((await authority.resolve(STAGING, 'A')).answers, [NEW]);
  dns.setRecord(STAGING, 'CNAME', [], 2);
  t.equal((await authority.resolve(STAGING, 'A')).rcode, 'NXDOMAIN');
  t.throws(() => dns.setRecord('staging.example.com', 'A', [NEW], 2), /outside the twin's zone/);
});

t.test('on the real clock, a changed record reaches the resolvers after its TTL', async (t) => {
  const { dns, ask } = await twin(t, { now: Date.now });
  const resolver = ask(dns.resolvers[2]!);
  dns.setRecord(STAGING, 'A', [OLD], 1);
  t.same((await resolver.resolve(STAGING, 'A')).answers, [OLD]);
  dns.setRecord(STAGING, 'A', [NEW], 1);
  let answers: string[] = [];
  for (let i = 0; i < 50 && answers[0] !== NEW; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answers = (await resolver.resolve(STAGING, 'A')).answers;
  }
  t.same(answers, [NEW]);
});
