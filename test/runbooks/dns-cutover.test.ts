/**
 * The DNS cutover against the ARM DNS twin (the Azure DNS REST API the SDK speaks, over HTTPS)
 * in front of the DNS twin's authority: a change of values is one conditional PUT (no instant
 * without a record, a stale ETag refused), a change of type takes the one short window it cannot
 * avoid and never leaves the name empty, and the undo brings back values and TTLs, repeatably.
 */
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { DnsManagementClient } from '@azure/arm-dns';
import { registerDnsZoneTwin } from '../../lab/azure/dns-zones.js';
import { FaultSwitch } from '../../lab/faults.js';
import { bearerAuthorize, startHttpsTwin, TwinRouter } from '../../lab/https-twin.js';
import { makeTwinCertificate } from '../../lab/tls.js';
import { AzureDnsZone } from '../../src/adapters/azure/dns-zone.js';
import { ConflictError } from '../../src/core/errors.js';
import type { DnsRecordSet, DnsRecordType, DnsWriteCondition, DnsZone } from '../../src/core/ports.js';
import {
  cutoverTypeChanges, lowerTtlsNoWait, pointNames, restoreNames, restoreTtls, ttlsToLower, zoneHolds, type NameTarget,
} from '../../src/runbooks/dns.js';
import type { Config } from '../../src/config/schema.js';
import { NEW, OLD, STAGING, ZONE, startTestDnsTwin } from '../helpers/dns-twin.js';

const SUBSCRIPTION = '00000000-0000-4000-8000-0000000000d5';
const GROUP = 'dns-test';
const TOKEN = 'dns-test-token';
const S3_SITE = 'site-bucket.s3-website.eu-west-1.amazonaws.com';
const BLOB_SITE = 'standby.z6.web.core.windows.net';
/** Above this the lowering brings a TTL down (config `checks.maxTtlSeconds`). */
const MAX_TTL = 60;

const certDir = await mkdtemp(join(tmpdir(), 'drsentinel-dns-test-'));
t.teardown(() => rm(certDir, { recursive: true, force: true }));
const tls = await makeTwinCertificate(certDir, ['127.0.0.1']);

/** The DNS twin and, in front of its authority, the ARM DNS zone API; a zone adapter on it. */
async function startZone(t: Test) {
  const twin = await startTestDnsTwin(t);
  const router = new TwinRouter();
  registerDnsZoneTwin(router, { groupPath: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}/providers`, dns: twin.dns });
  const arm = await startHttpsTwin({ service: 'arm', host: '127.0.0.1', tls, faults: new FaultSwitch(), router, authorize: bearerAuthorize(TOKEN) });
  t.teardown(() => arm.close());
  const credential = { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const client = new DnsManagementClient(credential, SUBSCRIPTION, { endpoint: arm.url, tlsOptions: { ca: tls.cert } });
  return { ...twin, zone: new AzureDnsZone(ZONE, client, GROUP) };
}

const name = (relative: string) => `${relative}.${ZONE}`;
const target = (relative: string, type: DnsRecordType, values: string[]): NameTarget => ({ name: relative, fqdn: name(relative), type, values });

/**
 * Watches a name on every turn of the event loop (the twins answer in this process, so no state
 * of the zone between two requests escapes it) and on the authority over UDP, in a tight loop.
 */
function watch(twin: Awaited<ReturnType<typeof startZone>>, relative: string, askAs: DnsRecordType) {
  const fqdn = name(relative);
  let running = true;
  const seen = { turns: 0, emptyTurns: 0, queries: 0, emptyAnswers: [] as string[] };
  const inProcess = (async () => {
    while (running) {
      seen.turns += 1;
      if (!twin.dns.getRecord(fqdn, 'A') && !twin.dns.getRecord(fqdn, 'CNAME')) seen.emptyTurns += 1;
      await tick();
    }
  })();
  const overUdp = (async () => {
    while (running) {
      const answer = await twin.authority.resolve(fqdn, askAs);
      seen.queries += 1;
      if (answer.rcode !== 'NOERROR' || answer.answers.length === 0) seen.emptyAnswers.push(answer.rcode);
    }
  })();
  return async () => {
    running = false;
    await Promise.all([inProcess, overUdp]);
    return seen;
  };
}

/** A zone that does what `zone` does, with a hook after each call (to abort, to race, to fail). */
function wrap(zone: DnsZone, hooks: {
  afterGet?: (name: string, type: DnsRecordType, got: DnsRecordSet | undefined) => void;
  upsert?: (record: DnsRecordSet, real: () => Promise<DnsRecordSet>) => Promise<DnsRecordSet>;
  afterDelete?: (name: string, type: DnsRecordType) => void;
}): DnsZone {
  return {
    zone: zone.zone,
    async get(n, type, signal) {
      const got = await zone.get(n, type, signal);
      hooks.afterGet?.(n, type, got);
      return got;
    },
    upsert: (record, signal, condition?: DnsWriteCondition) => {
      const real = () => zone.upsert(record, signal, condition);
      return hooks.upsert ? hooks.upsert(record, real) : real();
    },
    async delete(n, type, signal, condition) {
      await zone.delete(n, type, signal, condition);
      hooks.afterDelete?.(n, type);
    },
  };
}

const never = new AbortController().signal;

t.test('A → A is one PUT: the name answers on every turn and every query while it moves', async (t) => {
  const twin = await startZone(t);
  const stop = watch(twin, 'staging', 'A');
  await tick();
  const changes = await pointNames(twin.zone, [target('staging', 'A', [NEW])], MAX_TTL, never);
  const seen = await stop();
  t.same(changes, [{ fqdn: STAGING, how: 'replaced', from: { type: 'A', values: [OLD], ttl: 2 }, to: { type: 'A', values: [NEW], ttl: 2 } }], 'the TTL, already low, is kept');
  t.same(twin.dns.getRecord(STAGING, 'A'), { name: STAGING, type: 'A', values: [NEW], ttl: 2 });
  t.ok(seen.turns > 2 && seen.queries > 0, `watched ${seen.turns} turns and ${seen.queries} queries`);
  t.equal(seen.emptyTurns, 0, 'no turn of the event loop saw the name without a record');
  t.same(seen.emptyAnswers, [], 'the authority always answered an address');

  t.same(await pointNames(twin.zone, [target('staging', 'A', [NEW])], MAX_TTL, never), [
    { fqdn: STAGING, how: 'unchanged', from: { type: 'A', values: [NEW], ttl: 2 }, to: { type: 'A', values: [NEW], ttl: 2 } },
  ], 'pointing again writes nothing');
});

t.test('the watch does see the gap of a delete-then-create (what the cutover used to do)', async (t) => {
  const twin = await startZone(t);
  const stop = watch(twin, 'staging', 'A');
  await tick();
  await twin.zone.delete('staging', 'A');
  await twin.zone.upsert({ name: 'staging', type: 'A', ttl: 2, values: [NEW] });
  const seen = await stop();
  t.ok(seen.emptyTurns > 0, `${seen.emptyTurns} turns saw the name empty`);
});

t.test('a write with a stale ETag is refused, and the cutover never overwrites a change made under it', async (t) => {
  const twin = await startZone(t);
  const read = await twin.zone.get('staging', 'A');
  t.match(read, { values: [OLD], etag: /^[0-9a-f-]{36}$/ });
  twin.dns.setRecord(STAGING, 'A', ['192.0.2.1'], 2); // someone else's change, after our read
  await t.rejects(twin.zone.upsert({ name: 'staging', type: 'A', ttl: 2, values: [NEW] }, undefined, { ifMatch: read!.etag! }), { code: 'conflict', statusCode: 412 });
  t.same(twin.dns.getRecord(STAGING, 'A')?.values, ['192.0.2.1'], 'nothing was written');
  await t.rejects(twin.zone.upsert({ name: 'staging', type: 'A', ttl: 2, values: [NEW] }, undefined, { ifNoneMatch: '*' }), { code: 'conflict', statusCode: 412 }, 'create-only on a name that has one');

  // The race inside pointNames: a change lands between its read and its PUT.
  const racing = wrap(twin.zone, {
    afterGet: (n, type, got) => {
      if (n === 'staging' && type === 'A' && got?.values[0] === '192.0.2.1') twin.dns.setRecord(STAGING, 'A', ['192.0.2.2'], 2);
    },
  });
  await t.rejects(pointNames(racing, [target('staging', 'A', [NEW])], MAX_TTL, never), {
    name: 'ConflictError',
    message: `${STAGING} A was changed by someone else while drsentinel was setting it to ${NEW} (its ETag no longer matched: HTTP 412); nothing was overwritten, the zone now holds A 192.0.2.2 (TTL 2 s). Find out who changed it, then retry the step.`,
  });
  t.same(twin.dns.getRecord(STAGING, 'A')?.values, ['192.0.2.2'], 'the other change stands');
});

t.test('a PUT whose answer was lost is not a lost race: the retry finds its own write', async (t) => {
  const twin = await startZone(t);
  let first = true;
  const lossy = wrap(twin.zone, {
    async upsert(_record, real) {
      const saved = await real();
      if (!first) return saved;
      first = false;
      // The write landed, the answer did not come back; the retry's If-Match is stale by our own hand.
      await real();
      throw new ConflictError('412');
    },
  });
  t.match(await pointNames(lossy, [target('staging', 'A', [NEW])], MAX_TTL, never), [{ how: 'replaced' }]);
  t.same(twin.dns.getRecord(STAGING, 'A')?.values, [NEW]);
});

t.test('A → CNAME: delete then create, one measured window, and never a name left empty', async (t) => {
  const twin = await startZone(t);
  const stop = watch(twin, 'staging', 'CNAME');
  await tick();
  const [change] = await pointNames(twin.zone, [target('staging', 'CNAME', [BLOB_SITE])], MAX_TTL, never);
  const seen = await stop();
  t.match(change, { fqdn: STAGING, how: 'type-changed', from: { type: 'A', values: [OLD], ttl: 2 }, to: { type: 'CNAME', values: [BLOB_SITE], ttl: 2 } });
  t.type(change!.windowMs, 'number');
  t.ok(change!.windowMs! < 5000, `the window was ${change!.windowMs} ms`);
  t.same(twin.dns.getRecord(STAGING, 'CNAME')?.values, [BLOB_SITE]);
  t.equal(twin.dns.getRecord(STAGING, 'A'), undefined);
  t.ok(seen.emptyTurns > 0, `the window is real: ${seen.emptyTurns} of ${seen.turns} turns saw the name empty`);

  t.test('an abort right after the delete still creates the new record', async (t) => {
    const twin = await startZone(t);
    const abort = new AbortController();
    const aborting = wrap(twin.zone, { afterDelete: () => abort.abort(new Error('aborted by the operator')) });
    const changes = await pointNames(aborting, [target('staging', 'CNAME', [BLOB_SITE])], MAX_TTL, abort.signal);
    t.equal(changes[0]!.how, 'type-changed');
    t.same(twin.dns.getRecord(STAGING, 'CNAME')?.values, [BLOB_SITE], 'the name holds the CNAME, not nothing');
  });

  t.test('a delete whose answer is lost: the name found empty gets its old record back', async (t) => {
    const twin = await startZone(t);
    const lossy = wrap(twin.zone, { afterDelete: () => { throw new Error('socket hang up'); } });
    await t.rejects(pointNames(lossy, [target('staging', 'CNAME', [BLOB_SITE])], MAX_TTL, never), /socket hang up/);
    t.same(twin.dns.getRecord(STAGING, 'A')?.values, [OLD], 'the A is back');
  });

  t.test('a new type that cannot be created: the old record is put back and the error says so', async (t) => {
    const twin = await startZone(t);
    const refusing = wrap(twin.zone, {
      upsert: (record, real) => (record.type === 'CNAME' ? Promise.reject(Object.assign(new Error('ServiceUnavailable'), { statusCode: 503 })) : real()),
    });
    await t.rejects(pointNames(refusing, [target('staging', 'CNAME', [BLOB_SITE])], MAX_TTL, never), {
      message: `${STAGING}: the CNAME could not be created after removing the A (Error: ServiceUnavailable); the A was put back, the name holds what it held`,
    });
    t.same(twin.dns.getRecord(STAGING, 'A'), { name: STAGING, type: 'A', values: [OLD], ttl: 2 });
  });
});

/** Production as config describes it (`awsTargets`) and the cutover's targets (`azureTargets`). */
function seedProduction(twin: Awaited<ReturnType<typeof startZone>>) {
  twin.dns.setRecord(name('api'), 'A', [OLD], 3600);
  twin.dns.setRecord(name('site'), 'CNAME', [S3_SITE], 600);
  twin.dns.setRecord(name('app'), 'A', [OLD], 30);
  const before = [target('api', 'A', [OLD]), target('site', 'CNAME', [S3_SITE]), target('app', 'A', [OLD])];
  const after = [target('api', 'A', [NEW]), target('site', 'CNAME', [BLOB_SITE]), target('app', 'CNAME', [BLOB_SITE])];
  const state = () => Object.fromEntries(before.map((b) => [b.name, twin.dns.getRecord(b.fqdn, 'A') ?? twin.dns.getRecord(b.fqdn, 'CNAME')]));
  const etags = () => Promise.all(before.map(async (b) => ((await twin.zone.get(b.name, 'A')) ?? (await twin.zone.get(b.name, 'CNAME')))?.etag));
  return { before, after, state, etags };
}

t.test('lower, wait, cut over, restore: values and TTLs come back; restoring again changes nothing', async (t) => {
  const twin = await startZone(t);
  const { before, after, state, etags } = seedProduction(twin);
  const production = state();

  const planned = await ttlsToLower(twin.zone, after, MAX_TTL, never);
  t.same(planned, { [`${name('api')} A`]: 3600, [`${name('site')} CNAME`]: 600 }, 'the plan reads only');
  t.same(state(), production);

  const lowering = await lowerTtlsNoWait(twin.zone, after, MAX_TTL, never, planned);
  t.same(lowering, { lowered: planned, waitSeconds: 3600 });
  t.equal(twin.dns.getRecord(name('api'), 'A')?.ttl, MAX_TTL);
  t.equal(twin.dns.getRecord(name('app'), 'A')?.ttl, 30, 'a TTL already low is left alone');
  t.same(await lowerTtlsNoWait(twin.zone, after, MAX_TTL, never, lowering.lowered), lowering, 'a repeat lowers nothing and still waits the old TTLs out');
  t.same(await lowerTtlsNoWait(twin.zone, after, MAX_TTL, never), { lowered: {}, waitSeconds: 0 }, '(which it cannot know without what was persisted)');

  const changes = await pointNames(twin.zone, after, MAX_TTL, never);
  t.same(changes.map((c) => c.how), ['replaced', 'replaced', 'type-changed']);
  t.equal((await zoneHolds(twin.zone, after, never)).status, 'pass');
  t.same(changes.map((c) => c.to.ttl), [MAX_TTL, MAX_TTL, 30], 'TTLs stay low through the switch');

  const restored = await restoreNames(twin.zone, before, never, { lowered: lowering.lowered, maxTtl: MAX_TTL });
  t.same(restored.map((c) => c.how), ['replaced', 'replaced', 'type-changed']);
  t.same(state(), production, 'every name holds what it held, with its TTL');
  t.equal((await zoneHolds(twin.zone, before, never)).status, 'pass');

  const tags = await etags();
  const again = await restoreNames(twin.zone, before, never, { lowered: lowering.lowered, maxTtl: MAX_TTL });
  t.same(again.map((c) => c.how), ['unchanged', 'unchanged', 'unchanged'], 'restoring twice is harmless');
  t.same(await restoreTtls(twin.zone, before, lowering.lowered, never), { restored: {}, skipped: {} }, 'so is the TTL undo after it');
  t.same(await etags(), tags, 'no write at all');
  t.same(state(), production);
});

t.test('the undo when the act never happened, or half happened', async (t) => {
  t.test('nothing changed: nothing is written', async (t) => {
    const twin = await startZone(t);
    const { before, state, etags } = seedProduction(twin);
    const production = state();
    const tags = await etags();
    t.same((await restoreNames(twin.zone, before, never, { maxTtl: MAX_TTL })).map((c) => c.how), ['unchanged', 'unchanged', 'unchanged']);
    t.same((await restoreNames(twin.zone, before, never, { lowered: {}, maxTtl: MAX_TTL })).map((c) => c.how), ['unchanged', 'unchanged', 'unchanged']);
    t.same(await restoreTtls(twin.zone, before, {}, never), { restored: {}, skipped: {} });
    t.same(await etags(), tags);
    t.same(state(), production);
  });

  t.test('only the TTLs were lowered: the undo raises them, values untouched', async (t) => {
    const twin = await startZone(t);
    const { before, after, state } = seedProduction(twin);
    const production = state();
    const { lowered } = await lowerTtlsNoWait(twin.zone, after, MAX_TTL, never);
    t.same(await restoreTtls(twin.zone, before, lowered, never), { restored: lowered, skipped: {} });
    t.same(state(), production);
    t.same(await restoreTtls(twin.zone, before, lowered, never), { restored: {}, skipped: {} }, 'twice is harmless');
    t.same((await restoreNames(twin.zone, before, never, { lowered, maxTtl: MAX_TTL })).map((c) => c.how), ['unchanged', 'unchanged', 'unchanged']);
  });

  t.test('the cutover stopped after its first name: the undo puts every name back', async (t) => {
    const twin = await startZone(t);
    const { before, after, state } = seedProduction(twin);
    const production = state();
    const { lowered } = await lowerTtlsNoWait(twin.zone, after, MAX_TTL, never);
    const abort = new AbortController();
    const stopping = wrap(twin.zone, { upsert: async (record, real) => { const saved = await real(); if (record.values[0] === NEW) abort.abort(new Error('stop')); return saved; } });
    await t.rejects(pointNames(stopping, after, MAX_TTL, abort.signal), /stop/);
    t.same(twin.dns.getRecord(name('api'), 'A')?.values, [NEW], 'the first name moved');
    t.same(twin.dns.getRecord(name('site'), 'CNAME')?.values, [S3_SITE], 'the second did not');
    t.same(await restoreTtls(twin.zone, before, lowered, never), { restored: { [`${name('site')} CNAME`]: 600 }, skipped: { [`${name('api')} A`]: `holds ${NEW}, not the production values ${OLD}` } },
      'the TTL undo alone never raises the TTL of an Azure answer');
    await restoreNames(twin.zone, before, never, { lowered, maxTtl: MAX_TTL });
    t.same(state(), production);
  });

  t.test('a type change left the name empty (a crash in the window): the undo creates the record', async (t) => {
    const twin = await startZone(t);
    const { before, state } = seedProduction(twin);
    const production = state();
    twin.dns.setRecord(name('app'), 'A', [], 0);
    const changes = await restoreNames(twin.zone, before, never, { lowered: { [`${name('app')} A`]: 30 }, maxTtl: MAX_TTL });
    t.same(changes.map((c) => c.how), ['unchanged', 'unchanged', 'created']);
    t.same(state(), production);
  });
});

t.test('which names a config would change the type of', async (t) => {
  const config = { activation: { cutover: [
    { name: 'www', target: 'website', aws: { type: 'CNAME', values: [S3_SITE] } },
    { name: 'api', target: 'gateway', aws: { type: 'CNAME', values: ['alb-1.eu-west-1.elb.amazonaws.com'] } },
    { name: '@', target: 'gateway', aws: { type: 'A', values: [OLD] } },
  ] } } as unknown as Config;
  t.same(cutoverTypeChanges(config), [{ name: 'api', from: 'CNAME', to: 'A' }]);
});
