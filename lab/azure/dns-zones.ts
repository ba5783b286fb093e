/**
 * Azure DNS in the ARM twin (Microsoft.Network/dnsZones, api-version 2018-05-01, as
 * @azure/arm-dns calls it): the lab zone and its A and CNAME record sets. The record sets ARE
 * the DNS twin's authority: a PUT here changes what it serves, and the caching resolvers see
 * the change once the answer they hold has lived its TTL — the delay a real cutover lives with.
 * Keys are cased as Azure sends them (`TTL`, `ARecords`, `CNAMERecord`): the SDK drops others.
 *
 * The record set lists (all, by type) page with `nextLink` and honour `$top`, and walk the
 * authority itself: the names seeded with the lab as well as those written through this API.
 *
 * Each record set has an ETag, as on Azure: a new one on every write (a GUID), the same one as
 * long as nothing writes. A PUT or DELETE with `If-Match: <etag>` lands only while the record
 * set still has that ETag, a PUT with `If-None-Match: *` only while there is none; otherwise
 * 412 PreconditionFailed and nothing changes.
 */
import { randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { DnsTwin, ZoneRecord } from '../dns.js';
import type { DnsRecordType } from '../../src/core/ports.js';
import { azureError, type TwinAnswer, type TwinRequest, type TwinRouter } from '../https-twin.js';
import { addListRoutes, ArmResources, listPage } from './arm-lists.js';

export interface DnsZoneTwinOptions {
  /** `/subscriptions/{s}/resourceGroups/{rg}/providers` of the zone's resource group. */
  groupPath: string;
  dns: DnsTwin;
  /** The subscription's lists and page size (default: a subscription of this zone alone). */
  resources?: ArmResources;
}

const ZONE_TYPE = 'Microsoft.Network/dnszones';
const SERVED_TYPES: DnsRecordType[] = ['A', 'CNAME'];
/** The record types of Azure DNS: a list of one the twin does not serve is empty, as in a zone without such records. */
const AZURE_RECORD_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT']);

function resourcesOf(groupPath: string): ArmResources {
  const scope = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers$/i.exec(groupPath);
  if (!scope) throw new Error(`${groupPath} is not /subscriptions/{s}/resourceGroups/{rg}/providers`);
  return new ArmResources(scope[1]!, scope[2]!);
}

const MAX_TTL = 2_147_483_647;

/** An ETag as a client may quote it (`"…"`, `W/"…"`), reduced to the bare value Azure sends. */
const bareEtag = (raw: string) => raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
const header = (req: TwinRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

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
  const resources = o.resources ?? resourcesOf(o.groupPath);
  const zones = `${o.groupPath}/Microsoft.Network/dnsZones`;
  const zone = o.dns.zone;
  const zoneId = `${zones}/${zone}`;
  /** The ETag of each record set ("fqdn|TYPE"), with the content it was given for. */
  const etags = new Map<string, { etag: string; content: string }>();
  const contentOf = (record: ZoneRecord) => JSON.stringify([record.ttl, record.values]);
  /** A record set changed behind the API (the lab seeding it, a test) gets a new ETag too. */
  const etagOf = (path: RecordSetPath, record: ZoneRecord): string => {
    const key = `${path.fqdn}|${path.type}`;
    const known = etags.get(key);
    if (known && known.content === contentOf(record)) return known.etag;
    const etag = randomUUID();
    etags.set(key, { etag, content: contentOf(record) });
    return etag;
  };
  /** Why a conditional write must not land (412), or undefined when it may. */
  const preconditionFails = (path: RecordSetPath, req: TwinRequest, current: ZoneRecord | undefined): TwinAnswer | undefined => {
    const ifMatch = header(req, 'if-match');
    const ifNoneMatch = header(req, 'if-none-match');
    const what = `the ${path.type} record set ${path.relative} in zone ${zone}`;
    if (ifMatch !== undefined && ifMatch.trim() !== '') {
      const wanted = bareEtag(ifMatch);
      if (!current) return azureError(412, 'PreconditionFailed', `The precondition If-Match failed: ${what} does not exist.`);
      if (wanted !== '*' && wanted !== etagOf(path, current)) {
        return azureError(412, 'PreconditionFailed', `The precondition If-Match failed: the etag of ${what} is not ${wanted}; it was changed since it was read.`);
      }
    }
    // Azure honours If-None-Match only with '*' (create, never overwrite); other values are ignored.
    if (ifNoneMatch !== undefined && bareEtag(ifNoneMatch) === '*' && current) {
      return azureError(412, 'PreconditionFailed', `The precondition If-None-Match: * failed: ${what} already exists.`);
    }
    return undefined;
  };
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
      etag: etagOf(path, record),
      properties: { TTL: record.ttl, fqdn: `${path.fqdn}.`, provisioningState: 'Succeeded', ...records },
    };
  };
  const recordNotFound = (path: RecordSetPath) => azureError(404, 'NotFound', `The resource record '${path.relative}' of type ${path.type} does not exist in zone ${zone}.`);
  const withPath = (handle: (path: RecordSetPath, req: TwinRequest) => TwinAnswer) => (req: TwinRequest) => {
    const path = recordSetPath(req);
    return 'fqdn' in path ? handle(path, req) : path;
  };

  const zoneBody = () => ({
    id: zoneId,
    name: zone,
    type: ZONE_TYPE,
    location: 'global',
    properties: { zoneType: 'Public', nameServers: [`ns.${zone}.`], maxNumberOfRecordSets: 10_000 },
  });
  const inZone = (req: TwinRequest) => resources.scopeError(req.params) ?? (req.params.zone!.toLowerCase() === zone ? undefined : zoneNotFound(req.params.zone!));
  /** The record sets of the authority, by name then type; `$recordsetnamesuffix` keeps those under one label. */
  const listed = (req: TwinRequest, types: DnsRecordType[]) => {
    const suffix = req.url.searchParams.get('$recordsetnamesuffix')?.toLowerCase().replace(/^\.|\.$/g, '');
    return o.dns.names().flatMap((fqdn) => {
      const relative = fqdn === zone ? '@' : fqdn.slice(0, -(zone.length + 1));
      if (suffix && relative !== suffix && !relative.endsWith(`.${suffix}`)) return [];
      return types.flatMap((type) => {
        const record = o.dns.getRecord(fqdn, type);
        return record ? [recordSet({ relative, fqdn, type }, record)] : [];
      });
    });
  };

  addListRoutes(router, resources, { type: ZONE_TYPE, modelled: () => [{ resourceGroup: resources.resourceGroup, body: zoneBody() }] });
  router.add('GET', `/subscriptions/:subscription/resourceGroups/:group/providers/${ZONE_TYPE}/:name`, (req) =>
    req.params.subscription === resources.subscriptionId && req.params.group!.toLowerCase() === resources.resourceGroup.toLowerCase() && req.params.name!.toLowerCase() === zone
      ? { status: 200, body: zoneBody() }
      : resources.read(ZONE_TYPE, req.params, zoneNotFound(req.params.name!)),
  );
  for (const list of ['recordsets', 'all']) {
    router.add('GET', `${zones}/:zone/${list}`, (req) => inZone(req) ?? listPage(req, listed(req, SERVED_TYPES), resources.pageSize));
  }
  router.add('GET', `${zones}/:zone/:type`, (req) => {
    const type = req.params.type!.toUpperCase();
    if (!AZURE_RECORD_TYPES.has(type)) return azureError(400, 'BadRequest', `${req.params.type} is not a record type of Azure DNS.`);
    const served = SERVED_TYPES.filter((t) => t === type);
    return inZone(req) ?? listPage(req, listed(req, served), resources.pageSize);
  });
  router.add('GET', `${zones}/:zone/:type/:name`, withPath((path) => {
    const record = o.dns.getRecord(path.fqdn, path.type);
    return record ? { status: 200, body: recordSet(path, record) } : recordNotFound(path);
  }));
  router.add('PUT', `${zones}/:zone/:type/:name`, withPath((path, req) => {
    const parsed = parseRecordSet(path.type, req.body as RecordSetBody | undefined);
    if (typeof parsed === 'string') return azureError(400, 'BadRequest', parsed);
    const current = o.dns.getRecord(path.fqdn, path.type);
    const refused = preconditionFails(path, req, current);
    if (refused) return refused;
    // A name holding a CNAME holds nothing else (RFC 1034): Azure refuses rather than replace.
    const other = path.type === 'A' ? 'CNAME' : 'A';
    if (o.dns.getRecord(path.fqdn, other)) {
      return azureError(409, 'Conflict', `The record set ${path.relative} cannot hold ${path.type} records: a ${other} record set of that name exists.`);
    }
    o.dns.setRecord(path.fqdn, path.type, parsed.values, parsed.ttl);
    // Every write is a new version, even one that changes nothing.
    etags.delete(`${path.fqdn}|${path.type}`);
    return { status: current ? 200 : 201, body: recordSet(path, { name: path.fqdn, type: path.type, ...parsed }) };
  }));
  router.add('DELETE', `${zones}/:zone/:type/:name`, withPath((path, req) => {
    const current = o.dns.getRecord(path.fqdn, path.type);
    const refused = preconditionFails(path, req, current);
    if (refused) return refused;
    if (!current) return { status: 204 };
    o.dns.setRecord(path.fqdn, path.type, [], 0);
    etags.delete(`${path.fqdn}|${path.type}`);
    return { status: 200 };
  }));
}
