/**
 * The DNS part of the cutover (R9) and of the cutback (R13.3): TTLs brought down before the
 * switch (the caller waits the old TTL out, so no cache outlives it), the switch itself, its
 * undo, and the wait until enough public resolvers answer the new values. What each name must
 * hold on either side is src/checks/dns-targets.ts.
 *
 * Every change is one replace of a whole record set, conditioned on the ETag read just before
 * (If-Match; If-None-Match: * to create): a name never goes through "no record" on a change of
 * values, and a change someone else made in between is never overwritten — it fails the call
 * (ConflictError) and names what the zone holds now.
 *
 * A change of TYPE (A ↔ CNAME) cannot be one write: a name with a CNAME holds nothing else, and
 * Azure DNS refuses the new type while the old one exists. The least bad order, used here:
 * delete the old set (If-Match its ETag), then at once create the new one (If-None-Match: *),
 * with no abort between the two and a few tries; if the new one cannot be created, the old one
 * is put back. The window — one round trip to ARM, typically well under a second — is measured
 * and returned (`windowMs`). A resolver whose cache lapses inside it gets NODATA/NXDOMAIN and
 * may keep that for the zone's negative TTL (SOA minimum; 300 s on Azure by default), so the
 * exposure is small but real: `cutoverTypeChanges(config)` names the names that would take it,
 * for a gate, a warning or config validation to refuse.
 *
 * Undo: `restoreNames` points the names back (values and the TTLs `lowerTtlsNoWait` lowered, in
 * the same single write), `restoreTtls` raises lowered TTLs back; both only write what differs,
 * so repeating them, or running them when the act never or only half happened, is harmless.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { ConflictError } from '../core/errors.js';
import type { DnsRecordSet, DnsRecordType, DnsWriteCondition, DnsZone } from '../core/ports.js';
import { fail, pass, type Outcome } from '../core/result.js';
import type { NameTarget } from '../../probes/dns-cutover.js';

export { propagation, type NameTarget } from '../../probes/dns-cutover.js';

/** The largest TTL of the names now, by name; a name without a record counts 0. */
export async function currentTtls(zone: DnsZone, names: NameTarget[], signal: AbortSignal): Promise<Record<string, number>> {
  const ttls: Record<string, number> = {};
  for (const n of names) {
    const sets = await Promise.all((['A', 'CNAME'] as const).map((type) => zone.get(n.name, type, signal)));
    ttls[n.fqdn] = Math.max(0, ...sets.map((s) => s?.ttl ?? 0));
  }
  return ttls;
}

// ------------------------------------------------------------------------------ TTLs

/** What was lowered: `"<fqdn> <TYPE>"` (see `ttlKey`) → the TTL the record set had before. */
export type LoweredTtls = Record<string, number>;

export interface TtlLowering {
  lowered: LoweredTtls;
  /**
   * How long a resolver may still serve an answer it fetched before the lowering: the largest
   * old TTL, 0 when nothing was lowered, counted from when `lowerTtlsNoWait` returned.
   */
  waitSeconds: number;
}

export const ttlKey = (fqdn: string, type: DnsRecordType): string => `${fqdn} ${type}`;

const TYPES = ['A', 'CNAME'] as const;
const OTHER: Record<DnsRecordType, DnsRecordType> = { A: 'CNAME', CNAME: 'A' };

/** The record sets above `maxTtl` now, with their TTL: what `lowerTtlsNoWait` would lower. Reads only. */
export async function ttlsToLower(zone: DnsZone, names: NameTarget[], maxTtl: number, signal: AbortSignal): Promise<LoweredTtls> {
  const above: LoweredTtls = {};
  for (const n of names) {
    for (const type of TYPES) {
      const set = await zone.get(n.name, type, signal);
      if (set && set.ttl > maxTtl) above[ttlKey(n.fqdn, type)] = set.ttl;
    }
  }
  return above;
}

/**
 * Lowers every TTL above `maxTtl` (one conditional write per record set, values untouched) and
 * returns what it lowered and how long to wait — it does not wait: the runbook engine stores the
 * deadline with the step (Step.waitAfterAct), so a restart waits only what is left.
 * Idempotent: a record set already at or below `maxTtl` is left alone. Pass what an earlier attempt
 * lowered or planned (`known`, e.g. `ttlsToLower` persisted before acting): a repeat, which finds
 * nothing left to lower, must still wait the old TTLs out and still knows what to restore.
 */
export async function lowerTtlsNoWait(zone: DnsZone, names: NameTarget[], maxTtl: number, signal: AbortSignal, known: LoweredTtls = {}): Promise<TtlLowering> {
  const lowered: LoweredTtls = { ...known };
  for (const n of names) {
    for (const type of TYPES) {
      const set = await zone.get(n.name, type, signal);
      if (!set || set.ttl <= maxTtl) continue;
      await write(zone, n.fqdn, { name: set.name, type, ttl: maxTtl, values: set.values }, conditionOn(set), signal);
      const key = ttlKey(n.fqdn, type);
      lowered[key] = Math.max(lowered[key] ?? 0, set.ttl);
    }
  }
  return { lowered, waitSeconds: Math.max(0, ...Object.values(lowered)) };
}

/**
 * The undo of the TTL lowering: each record set that still holds what it held in production
 * (`before`, i.e. `awsTargets`) gets its old TTL back, in one conditional write. A set holding
 * anything else (the names still point at Azure) is left alone and reported: raising the TTL of
 * the Azure answer would only make caches hold it longer. Idempotent.
 */
export async function restoreTtls(
  zone: DnsZone, before: NameTarget[], lowered: LoweredTtls, signal: AbortSignal,
): Promise<{ restored: LoweredTtls; skipped: Record<string, string> }> {
  const restored: LoweredTtls = {};
  const skipped: Record<string, string> = {};
  for (const t of before) {
    const key = ttlKey(t.fqdn, t.type);
    const old = lowered[key];
    if (old === undefined) continue;
    const set = await zone.get(t.name, t.type, signal);
    if (!set) {
      skipped[key] = 'no such record set now';
      continue;
    }
    if (!holds(set, t.values)) {
      skipped[key] = `holds ${set.values.join(', ')}, not the production values ${t.values.join(', ')}`;
      continue;
    }
    if (set.ttl >= old) continue;
    await write(zone, t.fqdn, { name: set.name, type: set.type, ttl: old, values: set.values }, conditionOn(set), signal);
    restored[key] = old;
  }
  return { restored, skipped };
}

// ------------------------------------------------------------------------------ the switch

/** What one name held and holds now, and how it got there. */
export interface NameChange {
  fqdn: string;
  how: 'unchanged' | 'replaced' | 'created' | 'type-changed';
  /** What the name held before (absent: nothing). */
  from?: { type: DnsRecordType; values: string[]; ttl: number };
  to: { type: DnsRecordType; values: string[]; ttl: number };
  /** Type changes only: the longest the name can have held no record at the zone (ms, from the delete's answer to the create's). */
  windowMs?: number;
}

/** The cutover names whose type differs between production (`aws.type`) and Azure (gateway: A, website: CNAME). */
export function cutoverTypeChanges(config: Config): Array<{ name: string; from: DnsRecordType; to: DnsRecordType }> {
  return config.activation.cutover.flatMap((c) => {
    const to: DnsRecordType = c.target === 'website' ? 'CNAME' : 'A';
    return c.aws.type === to ? [] : [{ name: c.name, from: c.aws.type, to }];
  });
}

/**
 * Points every name at its target, each with one conditional replace of its record set (see the
 * head of this file; a type change is a delete then a create, its window returned). The TTL is
 * kept when at most `maxTtl`, else brought down to it; a new record set gets `maxTtl`.
 * Idempotent: a name that already holds its target is not written.
 */
export async function pointNames(zone: DnsZone, targets: NameTarget[], maxTtl: number, signal: AbortSignal): Promise<NameChange[]> {
  const changes: NameChange[] = [];
  for (const t of targets) {
    signal.throwIfAborted();
    changes.push(await switchName(zone, t, (current) => Math.min(current?.ttl ?? maxTtl, maxTtl), signal));
  }
  return changes;
}

/**
 * The undo of the cutover (and the cutback itself): points every name back at what it held in
 * production (`before`: `awsTargets(config, zone)`) and gives it back the TTL the lowering took
 * (`lowered`, from `lowerTtlsNoWait`), values and TTL in the same single write. Without a
 * lowered TTL for a name, the TTL it has now is kept (`maxTtl` for a name that holds nothing).
 * Idempotent: harmless repeated, and when the cutover never happened or only half happened.
 */
export async function restoreNames(
  zone: DnsZone, before: NameTarget[], signal: AbortSignal, opts: { lowered?: LoweredTtls; maxTtl: number },
): Promise<NameChange[]> {
  const changes: NameChange[] = [];
  for (const t of before) {
    signal.throwIfAborted();
    changes.push(await switchName(zone, t, (current) => opts.lowered?.[ttlKey(t.fqdn, t.type)] ?? current?.ttl ?? opts.maxTtl, signal));
  }
  return changes;
}

const norm = (v: string) => v.toLowerCase().replace(/\.$/, '');

function holds(set: DnsRecordSet | undefined, values: string[]): boolean {
  if (!set || set.values.length !== values.length) return false;
  const held = set.values.map(norm);
  return values.every((v) => held.includes(norm(v)));
}

const sameSet = (a: DnsRecordSet | undefined, b: DnsRecordSet) => !!a && a.type === b.type && a.ttl === b.ttl && holds(a, b.values);
const shown = (set: DnsRecordSet | undefined) => (set ? `${set.type} ${set.values.join(', ')} (TTL ${set.ttl} s)` : 'no record');
const conditionOn = (set: DnsRecordSet): DnsWriteCondition | undefined => (set.etag ? { ifMatch: set.etag } : undefined);

/** The error of a lost race: someone else changed the record set between our read and our write. */
function lostRace(fqdn: string, record: DnsRecordSet, now: DnsRecordSet | undefined, cause: unknown): ConflictError {
  const err = new ConflictError(
    `${fqdn} ${record.type} was changed by someone else while drsentinel was setting it to ${record.values.join(', ')} ` +
      `(its ETag no longer matched: HTTP 412); nothing was overwritten, the zone now holds ${shown(now)}. ` +
      'Find out who changed it, then retry the step.',
  );
  (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

/**
 * One conditional write. A refused condition is re-read: if the zone already holds exactly this
 * record set, an earlier attempt of ours landed (an answer lost, a retry after a crash) and this
 * counts as done; otherwise the race was lost and the call fails naming what the zone holds.
 */
async function write(zone: DnsZone, fqdn: string, record: DnsRecordSet, condition: DnsWriteCondition | undefined, signal: AbortSignal | undefined): Promise<DnsRecordSet> {
  try {
    return await zone.upsert(record, signal, condition);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const now = await zone.get(record.name, record.type, signal);
    if (sameSet(now, record)) return now!;
    throw lostRace(fqdn, record, now, err);
  }
}

async function switchName(zone: DnsZone, t: NameTarget, ttlFor: (current: DnsRecordSet | undefined) => number, signal: AbortSignal): Promise<NameChange> {
  const [same, other] = await Promise.all([zone.get(t.name, t.type, signal), zone.get(t.name, OTHER[t.type], signal)]);
  const current = same ?? other;
  const record: DnsRecordSet = { name: t.name, type: t.type, ttl: ttlFor(current), values: [...t.values] };
  const change = (how: NameChange['how'], windowMs?: number): NameChange => ({
    fqdn: t.fqdn,
    how,
    ...(current ? { from: { type: current.type, values: current.values, ttl: current.ttl } } : {}),
    to: { type: record.type, values: record.values, ttl: record.ttl },
    ...(windowMs !== undefined ? { windowMs } : {}),
  });

  if (same) {
    // One PUT replaces the values and TTL together: no instant without a record.
    if (!sameSet(same, record)) await write(zone, t.fqdn, record, conditionOn(same), signal);
    // Both types at one name cannot happen on Azure; elsewhere, the name keeps resolving through `same`.
    if (other) await zone.delete(t.name, other.type, signal, other.etag ? { ifMatch: other.etag } : undefined);
    return change(sameSet(same, record) && !other ? 'unchanged' : 'replaced');
  }
  if (!other) {
    await write(zone, t.fqdn, record, { ifNoneMatch: '*' }, signal);
    return change('created');
  }
  return change('type-changed', await changeType(zone, t.fqdn, other, record, signal));
}

/** Tries to create `record` on a name that holds nothing, never aborted (the name must not stay empty); its result or the last error. */
async function landOnEmptyName(zone: DnsZone, fqdn: string, record: DnsRecordSet): Promise<DnsRecordSet> {
  let last: unknown;
  for (const pauseMs of [0, 250, 1000, 2000]) {
    if (pauseMs > 0) await sleep(pauseMs);
    try {
      return await zone.upsert(record, undefined, { ifNoneMatch: '*' });
    } catch (err) {
      last = err;
      // Refused, or no answer: what does the name hold now?
      const [mine, other] = await Promise.all([zone.get(record.name, record.type).catch(() => undefined), zone.get(record.name, OTHER[record.type]).catch(() => undefined)]);
      if (sameSet(mine, record)) return mine!;
      if (mine || other) throw lostRace(fqdn, record, mine ?? other, err);
    }
  }
  throw last;
}

/**
 * A type change (A ↔ CNAME): delete the old set (If-Match its ETag), then create the new one
 * (If-None-Match: *) without heeding an abort, a few tries; failing that, put the old set back.
 * Returns the window in ms; the name never stays without a record by our hand.
 */
async function changeType(zone: DnsZone, fqdn: string, old: DnsRecordSet, record: DnsRecordSet, signal: AbortSignal): Promise<number> {
  const putBackOld = () => landOnEmptyName(zone, fqdn, { name: old.name, type: old.type, ttl: old.ttl, values: old.values });
  try {
    await zone.delete(old.name, old.type, signal, old.etag ? { ifMatch: old.etag } : undefined);
  } catch (err) {
    // The delete may have landed before the abort or the lost answer: never leave the name empty.
    const [mine, theirs] = await Promise.all([zone.get(old.name, old.type).catch(() => old), zone.get(record.name, record.type).catch(() => old)]);
    if (!mine && !theirs) await putBackOld();
    if (err instanceof ConflictError) throw lostRace(fqdn, record, mine ?? theirs, err);
    throw err;
  }
  const removedAt = performance.now();
  try {
    await landOnEmptyName(zone, fqdn, record);
  } catch (err) {
    if (err instanceof ConflictError) throw err; // someone else's record holds the name: it resolves
    try {
      await putBackOld();
    } catch (again) {
      throw new Error(`${fqdn} HOLDS NO RECORD: its ${old.type} was removed to make room for the ${record.type}, which could not be created (${String(err)}), nor could the ${old.type} be put back (${String(again)}). Create one by hand now.`);
    }
    throw new Error(`${fqdn}: the ${record.type} could not be created after removing the ${old.type} (${String(err)}); the ${old.type} was put back, the name holds what it held`);
  }
  return Math.round(performance.now() - removedAt);
}

/** Whether the zone itself holds the targets (the change was made), before any resolver is asked. */
export async function zoneHolds(zone: DnsZone, targets: NameTarget[], signal: AbortSignal): Promise<Outcome> {
  const wrong: string[] = [];
  for (const t of targets) {
    const set = await zone.get(t.name, t.type, signal);
    const values = (set?.values ?? []).map(norm);
    if (values.length !== t.values.length || !t.values.every((v) => values.includes(norm(v)))) {
      wrong.push(`${t.fqdn} ${t.type} holds ${set ? values.join(', ') || 'nothing' : 'no record'}, not ${t.values.join(', ')}`);
    }
  }
  return wrong.length === 0 ? pass(`the zone holds the new values of ${targets.map((t) => t.fqdn).join(', ')}`) : fail(wrong.join('; '));
}
