import t from 'tap';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { ComputeManagementClient } from '@azure/arm-compute';
import { buildScaleSet } from '../../src/adapters/azure/compute.js';
import { armSettings, azureCredential } from '../../src/adapters/azure/credential.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { UsageError } from '../../src/core/errors.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const scaleSet = buildScaleSet(config, process.env);
const twin = lab.azure.vmss;
const { endpoint, subscriptionId, resourceGroup, ca } = lab.endpoints.azure.arm;
const vmssPath = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${lab.endpoints.azure.vmss.name}`;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTPS request to the ARM twin, without the SDK: to see the wire as Azure sends it. */
function raw(method: string, url: string, token: string | undefined, body?: unknown): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, ca: readFileSync(ca), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function health(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: await res.json() };
}

t.test('the scale set starts in warm standby: capacity 0, image and start-up script in its model', async (t) => {
  t.equal(scaleSet.name, 'drsentinel-api');
  t.same(await scaleSet.get(), {
    name: 'drsentinel-api',
    provisioningState: 'Succeeded',
    capacity: 0,
    imageReference: 'Canonical:ubuntu-24_04-lts:server:latest',
    hasStartupScript: true,
  });
  t.same(await scaleSet.instances(), []);
});

t.test('scaling to 2 boots two API servers on their own addresses; scaling back to 0 stops them', async (t) => {
  twin.pool.bootDelayMs = 300;
  const scaled = await scaleSet.setCapacity(2);
  t.match(scaled, { capacity: 2, provisioningState: 'Succeeded' }, 'the operation ends when the scale set is updated');
  const instances = await scaleSet.instances();
  t.same(
    instances,
    [
      { id: '0', powerState: 'running', address: '127.0.1.10' },
      { id: '1', powerState: 'running', address: '127.0.1.11' },
    ],
    'both instances run once the operation is done, each on its own address (from its network interface)',
  );
  const booted = twin.pool.list();
  for (const instance of booted) t.same(await health(instance.url), { status: 200, body: { status: 'ok' } }, `${instance.address} answers /health`);
  const image = await fetch(`${booted[1]!.url}/api/images/cat-42`);
  t.same(await image.json(), { id: 'cat-42', servedBy: booted[1]!.computerName }, 'and serves the demo API');

  const down = await scaleSet.setCapacity(0);
  t.match(down, { capacity: 0, provisioningState: 'Succeeded' });
  t.same(await scaleSet.instances(), []);
  await t.rejects(fetch(`${booted[0]!.url}/health`), 'the removed instances no longer answer');
});

t.test('a capacity change is a long-running operation that the client polls', async (t) => {
  twin.pool.bootDelayMs = 300;
  const token = lab.azure.arm.token;
  const started = await raw('PATCH', `${endpoint}${vmssPath}?api-version=2026-03-01`, token, { sku: { capacity: 1 } });
  t.equal(started.status, 202);
  const status = started.headers['azure-asyncoperation'] as string;
  t.ok(status?.startsWith(endpoint), 'the answer says where to poll');
  t.equal(started.body.properties.provisioningState, 'Updating');
  t.same((await raw('GET', status, token)).body, { status: 'InProgress' }, 'the instance is still booting');
  const vms = await raw('GET', `${endpoint}${vmssPath}/virtualMachines?api-version=2026-03-01&$expand=instanceView`, token);
  t.same(vms.body.value[0].properties.instanceView.statuses.map((s: { code: string }) => s.code), ['ProvisioningState/creating', 'PowerState/starting']);

  let polled = 0;
  while ((await raw('GET', status, token)).body.status === 'InProgress') {
    polled += 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.ok(polled > 0, 'the operation took more than one poll');
  t.same((await raw('GET', status, token)).body, { status: 'Succeeded' });
  const instanceId = twin.pool.list()[0]!.instanceId;
  t.equal(instanceId, '2', 'instance ids are never reused');
  const view = await raw('GET', `${endpoint}${vmssPath}/virtualMachines/${instanceId}/instanceView?api-version=2026-03-01`, token);
  t.same(view.body.statuses.map((s: { code: string }) => s.code), ['ProvisioningState/succeeded', 'PowerState/running']);
  const summary = await raw('GET', `${endpoint}${vmssPath}/instanceView?api-version=2026-03-01`, token);
  t.same(summary.body.virtualMachine.statusesSummary, [{ code: 'ProvisioningState/succeeded', count: 1 }]);
  await scaleSet.setCapacity(0);
});

t.test('user data is returned only when asked for, as Azure does', async (t) => {
  const token = lab.azure.arm.token;
  const plain = await raw('GET', `${endpoint}${vmssPath}?api-version=2026-03-01`, token);
  t.notOk('userData' in plain.body.properties.virtualMachineProfile);
  const expanded = await raw('GET', `${endpoint}${vmssPath}?api-version=2026-03-01&$expand=userData`, token);
  t.match(Buffer.from(expanded.body.properties.virtualMachineProfile.userData, 'base64').toString(), /^#cloud-config/);
});

t.test('ARM refuses a request without a token or with a wrong one', async (t) => {
  const none = await raw('GET', `${endpoint}${vmssPath}?api-version=2026-03-01`, undefined);
  t.equal(none.status, 401);
  t.equal(none.body.error.code, 'AuthenticationFailed');
  const env = { WRONG_AZURE_TOKEN: 'not-the-token' };
  const wrong: Config = { ...config, azure: { ...config.azure, credential: { token: { env: 'WRONG_AZURE_TOKEN' } } } };
  await t.rejects(buildScaleSet(wrong, env).get(), { statusCode: 401, code: 'InvalidAuthenticationToken' });
});

t.test('a refused capacity and an unknown scale set answer as ARM does', async (t) => {
  const arm = armSettings(config, 'test');
  const client = new ComputeManagementClient(azureCredential(config, process.env), arm.subscriptionId, arm.options);
  await t.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(arm.resourceGroup, scaleSet.name, { sku: { capacity: -1 } }, arm.poll), { statusCode: 400, code: 'InvalidParameter' });
  await t.rejects(client.virtualMachineScaleSets.get(arm.resourceGroup, 'no-such-vmss'), { statusCode: 404, code: 'ResourceNotFound' });
  t.equal((await scaleSet.get()).capacity, 0, 'a refused change leaves the capacity as it was');
});

t.test('the builder names the missing config section', async (t) => {
  t.throws(() => buildScaleSet({ ...config, azure: { ...config.azure, vmss: undefined } }, process.env), new UsageError('the scale set needs azure.vmss (name) in the config'));
  t.throws(() => buildScaleSet({ ...config, azure: { ...config.azure, arm: undefined } }, process.env), UsageError);
});
