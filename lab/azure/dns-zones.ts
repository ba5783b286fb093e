/**
 * Azure DNS in the ARM twin (Microsoft.Network/dnsZones, api-version 2018-05-01, as
 * @azure/arm-dns calls it): the lab zone and its A and CNAME record sets. The record sets ARE
 * the DNS twin's authority: a PUT here changes what it serves, and the caching resolvers see
 * the change once the answer they hold has lived its TTL — the delay a real cutover lives with.
 * Keys are cased as Azure sends them (`TTL`, `ARecords`, `CNAMERecord`): the SDK drops others.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { DnsTwin, ZoneRecord } from '../dns.js';
import type { DnsRecordType } from '../../src/core/ports.js';
import { azureError, type TwinAnswer, type TwinRequest, type TwinRouter } from '../https-twin.js';

export interface DnsZoneTwinOptions {
  groupPath: string;
  dns: DnsTwin;
}

const MAX_TTL = 2_147_483_647;

interface RecordSetPath {
  relative: string;
  fqdn: string;
  type: DnsRecordType;
}

interface RecordSetBody {
  properties?: { TTL?: unknown; ARecords?: Array<{ ipv4Address?: unknown }>; CNAMERecord?: { cname?: unknown } };
}

/** The values and TTL of a PUT body, or why Azure would refuse it. */
function parseRecordSet(type: DnsRecordType, body: RecordSetBody | undefined): { values: string[]; ttl: number } | string {
  const ttl = body?.properties?.TTL;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) return `The TTL must be an integer between 0 and ${MAX_TTL}.`;
  if (type === 'CNAME') {
    const cname = body?.properties?.CNAMERecord?.cname;
    return typeof cname === 'string' && cname.length > 0 ? { values: [cname.replace(/\.$/, '')], ttl } : 'A CNAME record set needs CNAMERecord.cname.';
  }
  const values = (body?.properties?.ARecords ?? []).map((r) => r.ipv4Address);
  if (values.length === 0) return 'An A record set needs at least one entry in ARecords.';
  const wrong = values.find((v) => typeof v !== 'string' || !isIPv4(v));
  return wrong === undefined ? { values: values as string[], ttl } : `${String(wrong)} is not a valid IPv4 address.`;
}

export function registerDnsZoneTwin(router: TwinRouter, o: DnsZoneTwinOptions): void {
  const zones = `${o.groupPath}/Microsoft.Network/dnsZones`;
  const zone = o.dns.zone;
  const zoneId = `${zones}/${zone}`;
  const zoneNotFound = (name: string) => azureError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/dnszones/${name}' under the twin's resource group was not found.`);

  const recordSetPath = (req: TwinRequest): RecordSetPath | TwinAnswer => {
    if (req.params.zone!.toLowerCase() !== zone) return zoneNotFound(req.params.zone!);
    const type = req.params.type!.toUpperCase();
    if (type !== 'A' && type !== 'CNAME') return azureError(400, 'BadRequest', `The lab's DNS zone twin serves A and CNAME record sets, not ${req.params.type}.`);
    const relative = req.params.name!.toLowerCase();
    return { relative, fqdn: relative === '@' ? zone : `${relative}.${zone}`, type };
  };
  const recordSet = (path: RecordSetPath, record: ZoneRecord) => {
    const records = path.type === 'A' ? { ARecords: record.values.map((ipv4Address) => ({ ipv4Address })) } : { CNAMERecord: { cname: record.values[0] } };
    return {
      id: `${zoneId}/${path.type}/${path.relative}`,
      name: path.relative,
      type: `Microsoft.Network/dnszones/${path.type}`,
      etag: createHash('sha256').update(JSON.stringify([record.ttl, record.values])).digest('hex').slice(0, 32),
      properties: { TTL: record.ttl, fqdn: `${path.fqdn}.`, provisioningState: 'Succeeded', ...records },
    };
  };
  const recordNotFound = (path: RecordSetPath) => azureError(404, 'NotFound', `The resource record '${path.relative}' of type ${path.type} does not exist in zone ${zone}.`);
  const withPath = (handle: (path: RecordSetPath, req: TwinRequest) => TwinAnswer) => (req: TwinRequest) => {
    const path = recordSetPath(req);
    return 'fqdn' in path ? handle(path, req) : path;
  };

  router.add('GET', `${zones}/:zone`, (req) => {
    if (req.params.zone!.toLowerCase() !== zone) return zoneNotFound(req.params.zone!);
    return {
      status: 200,
      body: {
        id: zoneId,
        name: zone,
        type: 'Microsoft.Network/dnszones',
        location: 'global',
        properties: { zoneType: 'Public', nameServers: [`ns.${zone}.`], maxNumberOfRecordSets: 10_000 },
      },
    };
  });
  router.add('GET', `${zones}/:zone/:type/:name`, withPath((path) => {
    const record = o.dns.getRecord(path.fqdn, path.type);
    return record ? { status: 200, body: recordSet(path, record) } : recordNotFound(path);
  }));
  router.add('PUT', `${zones}/:zone/:type/:name`, withPath((path, req) => {
    const parsed = parseRecordSet(path.type, req.body as RecordSetBody | undefined);
    if (typeof parsed === 'string') return azureError(400, 'BadRequest', parsed);
    // A name holding a CNAME holds nothing else (RFC 1034): Azure refuses rather than replace.
    const other = path.type === 'A' ? 'CNAME' : 'A';
    if (o.dns.getRecord(path.fqdn, other)) {
      return azureError(409, 'Conflict', `The record set ${path.relative} cannot hold ${path.type} records: a ${other} record set of that name exists.`);
    }
    const existed = o.dns.getRecord(path.fqdn, path.type) !== undefined;
    o.dns.setRecord(path.fqdn, path.type, parsed.values, parsed.ttl);
    return { status: existed ? 200 : 201, body: recordSet(path, { name: path.fqdn, type: path.type, ...parsed }) };
  }));
  router.add('DELETE', `${zones}/:zone/:type/:name`, withPath((path) => {
    if (!o.dns.getRecord(path.fqdn, path.type)) return { status: 204 };
    o.dns.setRecord(path.fqdn, path.type, [], 0);
    return { status: 200 };
  }));
}
