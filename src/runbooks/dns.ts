/**
 * The DNS part of the cutover (R9) and of the cutback (R13.3): what each name must hold, TTLs
 * brought down before the switch (waiting out the old TTL so no cache outlives it), the
 * switch itself, and the wait until enough public resolvers answer the new values.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import type { DnsZone } from '../core/ports.js';
import { fail, pass, type Outcome } from '../core/result.js';
import type { NameTarget } from '../../probes/dns-cutover.js';

export { propagation, type NameTarget } from '../../probes/dns-cutover.js';

export function fqdnOf(name: string, zone: string): string {
  return name === '@' ? zone : `${name}.${zone}`;
}

const norm = (v: string) => v.toLowerCase().replace(/\.$/, '');

/** Where each cutover name points on Azure: the gateway's public IP, or the Blob website host. */
export function azureTargets(config: Config, zone: string, gatewayIp: string | undefined): NameTarget[] {
  return config.activation.cutover.map((c) => {
    if (c.target === 'website') return { name: c.name, fqdn: fqdnOf(c.name, zone), type: 'CNAME', values: [new URL(config.azure.blob.websiteUrl).hostname] };
    if (!gatewayIp) throw new Error('the Application Gateway has no public IP to point the names at');
    return { name: c.name, fqdn: fqdnOf(c.name, zone), type: 'A', values: [gatewayIp] };
  });
}

/** What each cutover name holds in production (config), restored by the rollback. */
export function awsTargets(config: Config, zone: string): NameTarget[] {
  return config.activation.cutover.map((c) => ({ name: c.name, fqdn: fqdnOf(c.name, zone), type: c.aws.type, values: c.aws.values }));
}

/** The largest TTL of the names now, by name; a name without a record counts 0. */
export async function currentTtls(zone: DnsZone, names: NameTarget[], signal: AbortSignal): Promise<Record<string, number>> {
  const ttls: Record<string, number> = {};
  for (const n of names) {
    const sets = await Promise.all((['A', 'CNAME'] as const).map((type) => zone.get(n.name, type, signal)));
    ttls[n.fqdn] = Math.max(0, ...sets.map((s) => s?.ttl ?? 0));
  }
  return ttls;
}

/** Lowers every TTL above `maxTtl` and waits the longest old TTL out; returns what was lowered. */
export async function lowerTtls(zone: DnsZone, names: NameTarget[], maxTtl: number, signal: AbortSignal): Promise<Record<string, number>> {
  const lowered: Record<string, number> = {};
  for (const n of names) {
    for (const type of ['A', 'CNAME'] as const) {
      const set = await zone.get(n.name, type, signal);
      if (!set || set.ttl <= maxTtl) continue;
      await zone.upsert({ ...set, ttl: maxTtl }, signal);
      lowered[`${n.fqdn} ${type}`] = set.ttl;
    }
  }
  const wait = Math.max(0, ...Object.values(lowered));
  if (wait > 0) await sleep(wait * 1000, undefined, { signal });
  return lowered;
}

/** Points every name at its target; a record of the other type is removed first (a CNAME cannot share a name). */
export async function pointNames(zone: DnsZone, targets: NameTarget[], ttl: number, signal: AbortSignal): Promise<void> {
  for (const t of targets) {
    await zone.delete(t.name, t.type === 'A' ? 'CNAME' : 'A', signal);
    await zone.upsert({ name: t.name, type: t.type, ttl, values: t.values }, signal);
  }
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
