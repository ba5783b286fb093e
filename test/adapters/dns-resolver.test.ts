import t from 'tap';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { UdpResolver, parseDnsServer } from '../../src/adapters/dns/resolver.js';

t.test('resolver addresses', async (t) => {
  t.same(parseDnsServer('127.0.0.54'), { host: '127.0.0.54', port: 53 });
  t.same(parseDnsServer('127.0.0.54:5353'), { host: '127.0.0.54', port: 5353 });
  t.same(parseDnsServer('[::1]:5353'), { host: '::1', port: 5353 });
  t.equal(new UdpResolver('[::1]:5353').name, '[::1]:5353');
  t.throws(() => parseDnsServer('127.0.0.1:99999'), /not a DNS server address/);
});

t.test('a silent resolver is asked twice, then named in the error', async (t) => {
  const silent = createSocket('udp4');
  let received = 0;
  silent.on('message', () => (received += 1));
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => silent.close(() => resolve())));
  const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const resolver = new UdpResolver(address, { timeoutMs: 100 });
  await t.rejects(resolver.resolve('staging.drsentinel.test', 'A'), {
    message: `staging.drsentinel.test A: DNS resolver ${address} did not answer within 100 ms (2 tries)`,
  });
  t.equal(received, 2);
});

t.test('an aborted query stops at once', async (t) => {
  const resolver = new UdpResolver('127.0.0.1:9', { timeoutMs: 60_000 });
  await t.rejects(resolver.resolve('x.test', 'A', AbortSignal.abort()), /query aborted/);
});
