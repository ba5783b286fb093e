/**
 * An Azure DNS zone behind the DnsZone port (@azure/arm-dns): the A and CNAME record sets the
 * runbooks read and change. Names are relative to the zone (`dr`, `@`); a fully qualified name
 * inside the zone is accepted too. Writes may be conditional on the record set's ETag
 * (If-Match / If-None-Match: *); a condition that does not hold (HTTP 412) is a ConflictError.
 */
import { DnsManagementClient, type RecordSet } from '@azure/arm-dns';
import type { Config } from '../../config/schema.js';
import { ConflictError, UsageError } from '../../core/errors.js';
import type { DnsRecordSet, DnsRecordType, DnsWriteCondition, DnsZone } from '../../core/ports.js';
import { armSettings, azureCredential } from './credential.js';

const withoutDot = (name: string) => name.toLowerCase().replace(/\.$/, '');
const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

/** Azure answered 412: the record set is not (or no longer) what the write was conditioned on. */
export class DnsPreconditionFailed extends ConflictError {
  readonly statusCode = 412;
}

export class AzureDnsZone implements DnsZone {
  readonly zone: string;

  constructor(zone: string, private readonly client: DnsManagementClient, private readonly resourceGroup: string) {
    this.zone = withoutDot(zone);
  }

  async get(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | undefined> {
    const relative = this.#relative(name);
    try {
      return this.#toRecordSet(relative, type, await this.client.recordSets.get(this.resourceGroup, this.zone, relative, type, { abortSignal: signal }));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async upsert(record: DnsRecordSet, signal?: AbortSignal, condition?: DnsWriteCondition): Promise<DnsRecordSet> {
    const relative = this.#relative(record.name);
    const values = record.type === 'A' ? { aRecords: record.values.map((ipv4Address) => ({ ipv4Address })) } : { cnameRecord: { cname: record.values[0] } };
    const options = { abortSignal: signal, ...(condition && 'ifMatch' in condition ? { ifMatch: condition.ifMatch } : {}), ...(condition && 'ifNoneMatch' in condition ? { ifNoneMatch: condition.ifNoneMatch } : {}) };
    try {
      const saved = await this.client.recordSets.createOrUpdate(this.resourceGroup, this.zone, relative, record.type, { ttl: record.ttl, ...values }, options);
      return this.#toRecordSet(relative, record.type, saved);
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
      const what = `the ${record.type} record set ${this.#fqdn(relative)}`;
      throw new DnsPreconditionFailed(condition && 'ifMatch' in condition
        ? `${what} changed since it was read (its ETag is no longer ${condition.ifMatch}): another change won the race, nothing was written`
        : `${what} exists already (the write was to create it, If-None-Match: *): another change won the race, nothing was written`);
    }
  }

  async delete(name: string, type: DnsRecordType, signal?: AbortSignal, condition?: { ifMatch: string }): Promise<void> {
    const relative = this.#relative(name);
    // Azure answers 200 whether or not the record set existed (unless If-Match says it must).
    try {
      await this.client.recordSets.delete(this.resourceGroup, this.zone, relative, type, { abortSignal: signal, ...(condition ? { ifMatch: condition.ifMatch } : {}) });
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
      throw new DnsPreconditionFailed(`the ${type} record set ${this.#fqdn(relative)} is gone or changed since it was read (its ETag is no longer ${condition?.ifMatch}): nothing was deleted`);
    }
  }

  #fqdn(relative: string): string {
    return relative === '@' ? this.zone : `${relative}.${this.zone}`;
  }

  #relative(name: string): string {
    const n = withoutDot(name);
    if (n === this.zone || n === '@') return '@';
    return n.endsWith(`.${this.zone}`) ? n.slice(0, -this.zone.length - 1) : n;
  }

  #toRecordSet(name: string, type: DnsRecordType, set: RecordSet): DnsRecordSet {
    const values = type === 'A' ? (set.aRecords ?? []).flatMap((r) => r.ipv4Address ?? []) : set.cnameRecord?.cname ? [set.cnameRecord.cname] : [];
    return { name, type, ttl: set.ttl ?? 0, values, ...(set.etag ? { etag: set.etag } : {}) };
  }
}

export function buildDnsZone(config: Config, env: NodeJS.ProcessEnv = process.env): DnsZone {
  const dnsZone = config.azure.dnsZone;
  if (!dnsZone) throw new UsageError('the Azure DNS adapter needs azure.dnsZone (zone)');
  const arm = armSettings(config, 'the Azure DNS adapter');
  const client = new DnsManagementClient(azureCredential(config, env), arm.subscriptionId, { ...arm.options, credentialScopes: [arm.scope] });
  return new AzureDnsZone(dnsZone.zone, client, dnsZone.resourceGroup ?? arm.resourceGroup);
}
