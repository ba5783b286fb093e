/**
 * The ARM twin against the official SDKs: each twin's read calls, and its lists by resource
 * group and by subscription, walked page by page as the SDK's pager follows `nextLink`. The
 * pages are made small and the subscription is given neighbours, so every list spans pages.
 */
import t from 'tap';
import type { Test } from 'tap';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { CosmosDBManagementClient } from '@azure/arm-cosmosdb';
import { DnsManagementClient } from '@azure/arm-dns';
import { armSettings, azureCredential } from '../../src/adapters/azure/credential.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_PAGE_SIZE, type Neighbour } from '../../lab/azure/arm-lists.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const arm = armSettings(config, 'the contract test');
const credential = azureCredential(config, process.env);
const group = arm.resourceGroup;
const OTHER_GROUP = 'drsentinel-elsewhere';
const scoped = { ...arm.options, credentialScopes: [arm.scope] };
const { endpoint, subscriptionId, token } = lab.azure.arm;
const ca = readFileSync(lab.endpoints.azure.arm.ca);
lab.azure.vmss.pool.bootDelayMs = 10;

/** Adds neighbours to the subscription and sets the page size, for one test only. */
function subscription(t: Test, pageSize: number, ...neighbours: Neighbour[]): void {
  const resources = lab.azure.resources;
  resources.pageSize = pageSize;
  const ids = neighbours.map((n) => resources.add(n).id);
  t.teardown(() => {
    resources.pageSize = DEFAULT_PAGE_SIZE;
    for (const id of ids) resources.remove(id);
  });
}

interface Pager {
  byPage(): AsyncIterable<Array<{ name?: string }>>;
}

/** The names on each page the SDK's pager walks. */
async function pages(pager: Pager): Promise<string[][]> {
  const walked: string[][] = [];
  for await (const page of pager.byPage()) walked.push(page.map((r) => r.name ?? ''));
  return walked;
}

const sorted = (walked: string[][]) => walked.flat().sort();

interface Raw {
  status: number;
  contentType: string | undefined;
  body: any;
}

/** One request to the ARM twin without an SDK, to see the wire itself. */
function raw(method: string, path: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${endpoint}${path}`, { method, ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('compute: scale sets and their instances, read and listed', async (t) => {
  const client = new ComputeManagementClient(credential, arm.subscriptionId, arm.options);
  const vmss = lab.azure.vmss;
  subscription(t, 2,
    { type: 'Microsoft.Compute/virtualMachineScaleSets', name: 'batch-a', fields: { sku: { name: 'Standard_B1s', capacity: 1 } } },
    { type: 'Microsoft.Compute/virtualMachineScaleSets', name: 'batch-b' },
    { type: 'Microsoft.Compute/virtualMachineScaleSets', name: 'batch-north', resourceGroup: OTHER_GROUP, location: 'northeurope' },
  );
  await vmss.setCapacity(3);
  t.teardown(() => vmss.setCapacity(0));

  t.match(await client.virtualMachineScaleSets.get(group, vmss.name), { name: vmss.name, sku: { capacity: 3 }, provisioningState: 'Succeeded' });
  t.match(await client.virtualMachineScaleSets.get(group, 'batch-a'), { name: 'batch-a', sku: { capacity: 1 } }, 'a neighbour reads as it lists');

  const inGroup = await pages(client.virtualMachineScaleSets.list(group));
  t.same(inGroup, [[vmss.name, 'batch-a'], ['batch-b']], 'list(resourceGroup) walks two pages');
  const all = await pages(client.virtualMachineScaleSets.listAll());
  t.same(sorted(all), ['batch-a', 'batch-b', 'batch-north', vmss.name].sort());
  t.equal(all.length, 2, 'listAll() walks two pages');
  const westEurope = await pages(client.virtualMachineScaleSets.listByLocation('westeurope'));
  t.same(sorted(westEurope), ['batch-a', 'batch-b', vmss.name].sort(), 'listByLocation keeps the scale sets of that location');

  const vms: string[][] = [];
  for await (const page of client.virtualMachineScaleSetVMs.list(group, vmss.name, { expand: 'instanceView' }).byPage()) {
    t.ok(page.every((vm) => vm.instanceView?.statuses?.length), 'every page keeps $expand=instanceView');
    vms.push(page.map((vm) => vm.instanceId ?? ''));
  }
  const ids = vmss.pool.list().map((i) => i.instanceId);
  t.same(vms, [ids.slice(0, 2), ids.slice(2)], 'the instances span two pages');
  t.match(await client.virtualMachineScaleSetVMs.get(group, vmss.name, ids[2]!), { instanceId: ids[2], provisioningState: 'Succeeded' });
});

t.test('network: gateways, public IPs and the scale set\'s network interfaces, read and listed', async (t) => {
  const client = new NetworkManagementClient(credential, arm.subscriptionId, arm.options);
  const { name: gateway } = lab.endpoints.azure.appGateway;
  const vmss = lab.azure.vmss;
  subscription(t, 1,
    { type: 'Microsoft.Network/applicationGateways', name: 'edge-agw' },
    { type: 'Microsoft.Network/applicationGateways', name: 'north-agw', resourceGroup: OTHER_GROUP },
    { type: 'Microsoft.Network/publicIPAddresses', name: 'edge-pip', properties: { ipAddress: '192.0.2.7' } },
  );
  await vmss.setCapacity(2);
  t.teardown(() => vmss.setCapacity(0));

  t.match(await client.applicationGateways.get(group, gateway), { name: gateway, operationalState: 'Running' });
  t.same(await pages(client.applicationGateways.list(group)), [[gateway], ['edge-agw']]);
  t.same(await pages(client.applicationGateways.listAll()), [[gateway], ['edge-agw'], ['north-agw']]);

  const publicIp = `${gateway}-pip`;
  t.match(await client.publicIPAddresses.get(group, publicIp), { ipAddress: lab.endpoints.azure.appGateway.publicIp });
  t.match(await client.publicIPAddresses.get(group, 'edge-pip'), { ipAddress: '192.0.2.7' });
  t.same(await pages(client.publicIPAddresses.list(group)), [[publicIp], ['edge-pip']]);
  t.same(await pages(client.publicIPAddresses.listAll()), [[publicIp], ['edge-pip']]);

  const nics = client.networkInterfaces;
  t.same(await pages(nics.listVirtualMachineScaleSetNetworkInterfaces(group, vmss.name)), [[`${vmss.name}-nic`], [`${vmss.name}-nic`]]);
  const instance = vmss.pool.list()[1]!;
  t.same(await pages(nics.listVirtualMachineScaleSetVMNetworkInterfaces(group, vmss.name, instance.instanceId)), [[`${vmss.name}-nic`]]);
  const nic = await nics.getVirtualMachineScaleSetNetworkInterface(group, vmss.name, instance.instanceId, `${vmss.name}-nic`);
  t.equal(nic.ipConfigurations?.[0]?.privateIPAddress, instance.address, 'an instance\'s interface holds its address');
});

t.test('web: the Function App and its functions, read and listed', async (t) => {
  const client = new WebSiteManagementClient(credential, arm.subscriptionId, { ...arm.options, credentials: { scopes: [arm.scope] } });
  const app = lab.endpoints.azure.functionApp.name;
  subscription(t, 1,
    { type: 'Microsoft.Web/sites', name: 'drsentinel-admin', fields: { kind: 'app,linux' } },
    { type: 'Microsoft.Web/sites', name: 'north-func', resourceGroup: OTHER_GROUP, fields: { kind: 'functionapp,linux' } },
  );
  const functions = lab.azure.state.functions;
  functions.set('nightly', { name: 'nightly', bindings: [{ type: 'timerTrigger', direction: 'in', name: 'timer' }] });
  t.teardown(() => functions.delete('nightly'));

  t.match(await client.webApps.get(group, app), { name: app, kind: 'functionapp,linux', state: 'Running', defaultHostName: `${app}.azurewebsites.net` });
  t.match(await client.webApps.get(group, 'drsentinel-admin'), { name: 'drsentinel-admin', kind: 'app,linux' });
  t.same(await pages(client.webApps.listByResourceGroup(group)), [[app], ['drsentinel-admin']]);
  t.same(await pages(client.webApps.list()), [[app], ['drsentinel-admin'], ['north-func']]);

  t.same(await pages(client.webApps.listFunctions(group, app)), [[`${app}/convert`], [`${app}/nightly`]]);
  t.match(await client.webApps.getFunction(group, app, 'nightly'), { config: { bindings: [{ type: 'timerTrigger' }] } });
});

t.test('Cosmos DB: the account, its database and container, read and listed whole', async (t) => {
  const client = new CosmosDBManagementClient(credential, arm.subscriptionId, scoped);
  const account = lab.endpoints.azure.cosmosAccount;
  const { database, container, endpoint: documentEndpoint } = lab.endpoints.azure.cosmos;
  subscription(t, 1,
    { type: 'Microsoft.DocumentDB/databaseAccounts', name: 'drsentinel-audit', fields: { kind: 'GlobalDocumentDB' } },
    { type: 'Microsoft.DocumentDB/databaseAccounts', name: 'north-cosmos', resourceGroup: OTHER_GROUP },
  );

  t.match(await client.databaseAccounts.get(group, account), { name: account, documentEndpoint });
  // Cosmos DB's lists are not pageable: its SDK reads one answer, so the twin answers them whole.
  t.same(await pages(client.databaseAccounts.listByResourceGroup(group)), [[account, 'drsentinel-audit']]);
  t.same(await pages(client.databaseAccounts.list()), [[account, 'drsentinel-audit', 'north-cosmos']]);

  t.match(await client.sqlResources.getSqlDatabase(group, account, database), { name: database, resource: { id: database } });
  t.same(await pages(client.sqlResources.listSqlDatabases(group, account)), [[database]]);
  t.match(await client.sqlResources.getSqlContainer(group, account, database, container), { name: container, resource: { id: container } });
  t.same(await pages(client.sqlResources.listSqlContainers(group, account, database)), [[container]]);
  t.match(await client.sqlResources.getSqlContainerThroughput(group, account, database, container), { resource: { throughput: 400 } });
});

t.test('DNS: zones and record sets, read and listed', async (t) => {
  const client = new DnsManagementClient(credential, arm.subscriptionId, scoped);
  const zone = lab.endpoints.azure.dnsZone.zone;
  subscription(t, 2,
    { type: 'Microsoft.Network/dnszones', name: 'example.test', location: 'global' },
    { type: 'Microsoft.Network/dnszones', name: 'north.test', resourceGroup: OTHER_GROUP, location: 'global' },
  );
  const written = [
    { name: 'contract-a', type: 'A' as const, set: { ttl: 60, aRecords: [{ ipv4Address: '192.0.2.1' }] } },
    { name: 'contract-b', type: 'A' as const, set: { ttl: 60, aRecords: [{ ipv4Address: '192.0.2.2' }] } },
    { name: 'alias.contract', type: 'CNAME' as const, set: { ttl: 60, cnameRecord: { cname: `contract-a.${zone}` } } },
  ];
  for (const w of written) await client.recordSets.createOrUpdate(group, zone, w.name, w.type, w.set);
  t.teardown(async () => {
    for (const w of written) await client.recordSets.delete(group, zone, w.name, w.type);
  });

  t.match(await client.zones.get(group, zone), { name: zone, zoneType: 'Public' });
  t.same(await pages(client.zones.listByResourceGroup(group)), [[zone, 'example.test']]);
  t.same(await pages(client.zones.listByResourceGroup(group, { top: 1 })), [[zone], ['example.test']], '$top makes the pages smaller');
  t.same(await pages(client.zones.list()), [[zone, 'example.test'], ['north.test']]);

  t.match(await client.recordSets.get(group, zone, 'contract-b', 'A'), { ttl: 60, aRecords: [{ ipv4Address: '192.0.2.2' }] });
  // The lab's own records (dr, www, api) are listed beside the ones written here.
  t.same(await pages(client.recordSets.listByDnsZone(group, zone)), [['alias.contract', 'api'], ['contract-a', 'contract-b'], ['dr', 'www']]);
  t.same(await pages(client.recordSets.listAllByDnsZone(group, zone, { top: 1 })), [['alias.contract'], ['api'], ['contract-a'], ['contract-b'], ['dr'], ['www']]);
  t.same(await pages(client.recordSets.listByType(group, zone, 'A')), [['api', 'contract-a'], ['contract-b', 'dr'], ['www']]);
  t.same(await pages(client.recordSets.listByType(group, zone, 'MX')), [[]], 'a type the zone does not hold lists empty');
  t.same(await pages(client.recordSets.listByDnsZone(group, zone, { recordsetnamesuffix: 'contract' })), [['alias.contract']], 'a name suffix keeps the names under it');
  const listed = [];
  for await (const set of client.recordSets.listByType(group, zone, 'CNAME')) listed.push(set);
  t.match(listed, [{ name: 'alias.contract', ttl: 60, cnameRecord: { cname: `contract-a.${zone}` } }], 'listed sets carry their records');
});

t.test('ARM answers what no twin serves with its JSON error body', async (t) => {
  const compute = new ComputeManagementClient(credential, arm.subscriptionId, arm.options);
  const groupPath = `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers`;
  const cases: Array<[method: string, path: string, status: number, code: string]> = [
    ['GET', `${groupPath}/Microsoft.Sql/servers?api-version=2023-08-01`, 404, 'InvalidResourceNamespace'],
    ['GET', `${groupPath}/Microsoft.Compute/virtualMachines?api-version=2026-03-01`, 404, 'InvalidResourceType'],
    ['GET', `${groupPath}/Microsoft.Compute/virtualMachineScaleSets/drsentinel-api/skus?api-version=2026-03-01`, 404, 'InvalidResourceType'],
    ['GET', `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2026-03-01`, 404, 'SubscriptionNotFound'],
    ['GET', `/subscriptions/${subscriptionId}/resourceGroups/no-such-group/providers/Microsoft.Network/applicationGateways?api-version=2025-05-01`, 404, 'ResourceGroupNotFound'],
    ['GET', `/subscriptions/${subscriptionId}/resourceGroups/no-such-group/providers/Microsoft.Sql/servers?api-version=2023-08-01`, 404, 'ResourceGroupNotFound'],
    ['GET', '/no/such/path', 404, 'NotFound'],
    ['DELETE', `${groupPath}/Microsoft.Compute/virtualMachineScaleSets/drsentinel-api?api-version=2026-03-01`, 405, 'MethodNotAllowed'],
    ['POST', `${groupPath}/Microsoft.Web/sites?api-version=2025-05-01`, 405, 'MethodNotAllowed'],
    ['GET', `${groupPath}/Microsoft.Compute/virtualMachineScaleSets?api-version=2026-03-01&$skiptoken=oops`, 400, 'InvalidSkipToken'],
  ];
  for (const [method, path, status, code] of cases) {
    const answer = await raw(method, path);
    t.equal(answer.status, status, `${method} ${path}`);
    t.match(answer.contentType, /^application\/json/);
    t.match(answer.body, { error: { code, message: String } }, `${method} ${path} answers ${code}`);
  }
  const failing = async () => {
    for await (const page of compute.virtualMachineScaleSets.list('no-such-group').byPage()) t.fail(`no page expected, got ${page.length} entries`);
  };
  await t.rejects(failing(), { statusCode: 404, code: 'ResourceGroupNotFound' }, 'the SDK\'s pager reports ARM\'s error, not a bare 404');
});
