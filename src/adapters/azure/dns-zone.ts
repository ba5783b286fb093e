/**
 * An Azure DNS zone behind the DnsZone port (@azure/arm-dns): the A and CNAME record sets the
 * runbooks read and change. Names are relative to the zone (`dr`, `@`); a fully qualified name
 * inside the zone is accepted too.
 */
import { DnsManagementClient, type RecordSet } from '@azure/arm-dns';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { DnsRecordSet, DnsRecordType, DnsZone } from '../../core/ports.js';
import { armSettings, azureCredential } from './credential.js';

const withoutDot = (name: string) => name.toLowerCase().replace(/\.$/, '');

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
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  async upsert(record: DnsRecordSet, signal?: AbortSignal): Promise<DnsRecordSet> {
    const relative = this.#relative(record.name);
    const values = record.type === 'A' ? { aRecords: record.values.map((ipv4Address) => ({ ipv4Address })) } : { cnameRecord: { cname: record.values[0] } };
    const saved = await this.client.recordSets.createOrUpdate(this.resourceGroup, this.zone, relative, record.type, { ttl: record.ttl, ...values }, { abortSignal: signal });
    return this.#toRecordSet(relative, record.type, saved);
  }

  async delete(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<void> {
    // Azure answers 200 whether or not the record set existed.
    await this.client.recordSets.delete(this.resourceGroup, this.zone, this.#relative(name), type, { abortSignal: signal });
  }

  #relative(name: string): string {
    const n = withoutDot(name);
    if (n === this.zone || n === '@') return '@';
    return n.endsWith(`.${this.zone}`) ? n.slice(0, -this.zone.length - 1) : n;
  }

  #toRecordSet(name: string, type: DnsRecordType, set: RecordSet): DnsRecordSet {
    const values = type === 'A' ? (set.aRecords ?? []).flatMap((r) => r.ipv4Address ?? []) : set.cnameRecord?.cname ? [set.cnameRecord.cname] : [];
    return { name, type, ttl: set.ttl ?? 0, values };
  }
}

export function buildDnsZone(config: Config, env: NodeJS.ProcessEnv = process.env): DnsZone {
  const dnsZone = config.azure.dnsZone;
  if (!dnsZone) throw new UsageError('the Azure DNS adapter needs azure.dnsZone (zone)');
  const arm = armSettings(config, 'the Azure DNS adapter');
  const client = new DnsManagementClient(azureCredential(config, env), arm.subscriptionId, { ...arm.options, credentialScopes: [arm.scope] });
  return new AzureDnsZone(dnsZone.zone, client, dnsZone.resourceGroup ?? arm.resourceGroup);
}
