import type { Test } from 'tap';
import { startDnsTwin, type DnsTwinOptions } from '../../lab/dns.js';
import { UdpResolver } from '../../src/adapters/dns/resolver.js';

export const ZONE = 'drsentinel.test';
export const STAGING = `staging.${ZONE}`;
/** Documentation addresses (RFC 5737): the gateway's IP before and after a change. */
export const OLD = '198.51.100.7';
export const NEW = '203.0.113.9';

/**
 * The DNS twin with `staging` → OLD (TTL 2 s) and `www` → CNAME staging, whose resolvers read a
 * clock the test moves, so that cache expiry needs no waiting. Closed at the end of the test.
 */
export async function startTestDnsTwin(t: Test, extra: Partial<DnsTwinOptions> = {}) {
  const clock = { ms: Date.now() };
  const dns = await startDnsTwin({
    zone: ZONE,
    records: [
      { name: STAGING, type: 'A', values: [OLD], ttl: 2 },
      { name: `www.${ZONE}`, type: 'CNAME', values: [STAGING], ttl: 60 },
    ],
    hosts: { authoritative: '127.0.0.53', resolvers: ['127.0.0.54', '127.0.0.55', '127.0.0.56'] },
    now: () => clock.ms,
    ...extra,
  });
  t.teardown(() => dns.close());
  const ask = (server: string) => new UdpResolver(server, { timeoutMs: 1000 });
  return { dns, clock, ask, authority: ask(dns.authoritative), resolvers: dns.resolvers.map(ask) };
}
