import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { DnsManagementClient } from '@azure/arm-dns';
import { buildDnsZone } from '../../src/adapters/azure/dns-zone.js';
import { armSettings, azureCredential } from '../../src/adapters/azure/credential.js';
import { UdpResolver } from '../../src/adapters/dns/resolver.js';
import { loadConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import type { DnsRecordSet } from '../../src/core/ports.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const zone = buildDnsZone(config, process.env);
const { zone: origin } = lab.endpoints.azure.dnsZone;
const resolvers = lab.endpoints.dns.resolvers.map((address) => new UdpResolver(address));

/** Asks every resolver until each answers `expected`: a cache lets go of an answer only after its TTL. */
async function resolvedEverywhere(name: string, expected: string[]): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answers = await Promise.all(resolvers.map((r) => r.resolve(name, 'A')));
    if (answers.every((a) => a.answers.join() === expected.join())) return true;
    await sleep(100);
  }
  return false;
}

/** A record set as the port gives it, without its ETag (tested on its own below). */
const bare = (set: DnsRecordSet | undefined) => set && { name: set.name, type: set.type, ttl: set.ttl, values: set.values };

t.test('the zone holds what the lab serves: the standby record and the demo names still on AWS', async (t) => {
  t.equal(zone.zone, origin);
  t.same(bare(await zone.get('dr', 'A')), { name: 'dr', type: 'A', ttl: 2, values: ['127.0.0.80'] });
  t.same(bare(await zone.get('www', 'A')), { name: 'www', type: 'A', ttl: 5, values: ['127.0.0.90'] });
  t.same(bare(await zone.get(`api.${origin}.`, 'A')), { name: 'api', type: 'A', ttl: 5, values: ['127.0.0.90'] }, 'a fully qualified name works too');
  t.equal(await zone.get('nothing-here', 'A'), undefined);
  t.equal(await zone.get('www', 'CNAME'), undefined);
});

t.test('an upsert changes the authority, and the caching resolvers follow after the TTL', async (t) => {
  const name = `cutover.${origin}`;
  t.same(bare(await zone.upsert({ name: 'cutover', type: 'A', ttl: 1, values: ['127.0.0.90'] })), { name: 'cutover', type: 'A', ttl: 1, values: ['127.0.0.90'] });
  t.ok(await resolvedEverywhere(name, ['127.0.0.90']), 'every resolver answers the new record');

  t.same(bare(await zone.upsert({ name: 'cutover', type: 'A', ttl: 1, values: ['127.0.0.80'] })), { name: 'cutover', type: 'A', ttl: 1, values: ['127.0.0.80'] });
  t.same(bare(await zone.get('cutover', 'A')), { name: 'cutover', type: 'A', ttl: 1, values: ['127.0.0.80'] });
  t.ok(await resolvedEverywhere(name, ['127.0.0.80']), 'every resolver lets go of the old address once its TTL ran out');
});

t.test('a CNAME record set is served, and resolves through its target', async (t) => {
  t.same(bare(await zone.upsert({ name: 'cdn', type: 'CNAME', ttl: 1, values: [`dr.${origin}`] })), { name: 'cdn', type: 'CNAME', ttl: 1, values: [`dr.${origin}`] });
  const answer = await resolvers[0]!.resolve(`cdn.${origin}`, 'A');
  t.same(answer.answers, ['127.0.0.80']);
  await t.rejects(zone.upsert({ name: 'cdn', type: 'A', ttl: 1, values: ['127.0.0.80'] }), { statusCode: 409, code: 'Conflict' }, 'a CNAME name holds nothing else');
});

t.test('ETags as Azure gives them: one per version, and writes conditioned on them (If-Match, If-None-Match: *)', async (t) => {
  const created = await zone.upsert({ name: 'etag', type: 'A', ttl: 1, values: ['127.0.0.91'] }, undefined, { ifNoneMatch: '*' });
  t.match(created.etag, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a GUID');
  t.equal((await zone.get('etag', 'A'))?.etag, created.etag, 'the same until something writes');
  const same = await zone.upsert({ name: 'etag', type: 'A', ttl: 1, values: ['127.0.0.91'] }, undefined, { ifMatch: created.etag! });
  t.not(same.etag, created.etag, 'every write is a new version, even one that changes nothing');

  const refused = { name: 'DnsPreconditionFailed', code: 'conflict', statusCode: 412 };
  await t.rejects(zone.upsert({ name: 'etag', type: 'A', ttl: 1, values: ['127.0.0.92'] }, undefined, { ifMatch: created.etag! }), refused, 'a stale ETag is refused');
  await t.rejects(zone.upsert({ name: 'etag', type: 'A', ttl: 1, values: ['127.0.0.92'] }, undefined, { ifNoneMatch: '*' }), refused, 'create-only on an existing set is refused');
  await t.rejects(zone.upsert({ name: 'nothing-here', type: 'A', ttl: 1, values: ['127.0.0.92'] }, undefined, { ifMatch: same.etag! }), refused, 'If-Match on a set that does not exist is refused');
  await t.rejects(zone.delete('etag', 'A', undefined, { ifMatch: created.etag! }), refused, 'a delete with a stale ETag is refused');
  t.same(bare(await zone.get('etag', 'A')), { name: 'etag', type: 'A', ttl: 1, values: ['127.0.0.91'] }, 'nothing refused was written');

  const arm = armSettings(config, 'the test');
  const client = new DnsManagementClient(azureCredential(config, process.env), arm.subscriptionId, arm.options);
  await t.rejects(client.recordSets.createOrUpdate(arm.resourceGroup, origin, 'etag', 'A', { ttl: 1, aRecords: [{ ipv4Address: '127.0.0.92' }] }, { ifMatch: `"${created.etag}"` }),
    { name: 'RestError', statusCode: 412, code: 'PreconditionFailed' }, 'the SDK sees 412 PreconditionFailed, a quoted ETag as well');
  const moved = await client.recordSets.createOrUpdate(arm.resourceGroup, origin, 'etag', 'A', { ttl: 1, aRecords: [{ ipv4Address: '127.0.0.92' }] }, { ifMatch: same.etag });
  t.not(moved.etag, same.etag);
  await zone.delete('etag', 'A', undefined, { ifMatch: moved.etag! });
  t.equal(await zone.get('etag', 'A'), undefined, 'a delete with the current ETag lands');
  await t.rejects(zone.delete('etag', 'A', undefined, { ifMatch: moved.etag! }), refused, 'and If-Match on what is gone is refused');
  await zone.delete('etag', 'A');
  t.pass('an unconditional delete of nothing is still fine');
});

t.test('the twin answers the SDK\'s other calls as Azure does', async (t) => {
  const arm = armSettings(config, 'the test');
  const client = new DnsManagementClient(azureCredential(config, process.env), arm.subscriptionId, arm.options);
  const found = await client.zones.get(arm.resourceGroup, origin);
  t.match(found, { name: origin, zoneType: 'Public', nameServers: [`ns.${origin}.`] });
  await t.rejects(client.zones.get(arm.resourceGroup, 'example.org'), { name: 'RestError', statusCode: 404 });
  await t.rejects(client.recordSets.createOrUpdate(arm.resourceGroup, origin, 'bad', 'A', { ttl: 60, aRecords: [{ ipv4Address: 'not-an-ip' }] }), { statusCode: 400, code: 'BadRequest' });

  await zone.upsert({ name: 'gone', type: 'A', ttl: 1, values: ['127.0.0.91'] });
  await client.recordSets.delete(arm.resourceGroup, origin, 'gone', 'A');
  t.equal(await zone.get('gone', 'A'), undefined);
});

t.test('without azure.dnsZone the adapter says which section is missing', async (t) => {
  t.throws(() => buildDnsZone({ ...config, azure: { ...config.azure, dnsZone: undefined } }, process.env), new UsageError('the Azure DNS adapter needs azure.dnsZone (zone)'));
});
