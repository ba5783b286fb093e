import t from 'tap';
import { NetworkManagementClient } from '@azure/arm-network';
import { buildScaleSet } from '../../src/adapters/azure/compute.js';
import { buildGateway } from '../../src/adapters/azure/network.js';
import { armSettings, azureCredential } from '../../src/adapters/azure/credential.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { UsageError } from '../../src/core/errors.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const scaleSet = buildScaleSet(config, process.env);
const gateway = buildGateway(config, process.env);
const arm = armSettings(config, 'test');
const network = new NetworkManagementClient(azureCredential(config, process.env), arm.subscriptionId, arm.options);
const { name, url } = lab.endpoints.azure.appGateway;
lab.azure.vmss.pool.bootDelayMs = 50;

t.test('the lab config and endpoints name the gateway and its frontend', async (t) => {
  t.equal(name, 'drsentinel-agw');
  t.match(url, /^http:\/\/127\.0\.0\.80:\d+$/);
  t.same(config.azure.appGateway, { name, url });
  t.same(config.azure.vmss, { name: 'drsentinel-api' });
});

t.test('the gateway is provisioned and running, its frontend on the public IP', async (t) => {
  t.same(await gateway.get(), { name, provisioningState: 'Succeeded', operationalState: 'Running', publicIp: '127.0.0.80', backendPools: 1, routingRules: 1 });
  const model = await network.applicationGateways.get(arm.resourceGroup, name);
  t.match(model.httpListeners?.[0], { name: 'http-listener', protocol: 'Http' });
  t.equal(model.frontendPorts?.[0]?.port, Number(new URL(url).port), 'the frontend port is the one that answers');
  t.equal(model.probes?.[0]?.path, '/health');
});

t.test('with no instance, the backend pool is empty and the frontend answers 502', async (t) => {
  t.same(await gateway.backendHealth(), []);
  const logged = lab.azure.state.requests.length;
  const res = await fetch(`${url}/health`);
  t.equal(res.status, 502);
  t.match(await res.text(), /502 Bad Gateway/);
  t.equal(lab.azure.state.requests.length, logged, 'the gateway\'s own 502 never reached the application, so its telemetry has no such request');
});

t.test('two instances: both Healthy, and the frontend proxies to each in turn', async (t) => {
  await scaleSet.setCapacity(2);
  t.teardown(() => scaleSet.setCapacity(0));
  t.same(await gateway.backendHealth(), [
    { address: '127.0.1.10', health: 'Healthy' },
    { address: '127.0.1.11', health: 'Healthy' },
  ]);
  const servedBy = new Set<string>();
  for (let i = 0; i < 4; i += 1) {
    const res = await fetch(`${url}/api/images/${i}`);
    t.equal(res.status, 200);
    servedBy.add(res.headers.get('x-served-by') ?? '');
  }
  t.same([...servedBy].sort(), lab.azure.vmss.pool.list().map((i) => i.computerName).sort(), 'round robin reaches both instances');
  const health = await fetch(`${url}/health`);
  t.same([health.status, await health.json()], [200, { status: 'ok' }]);
  const recorded = lab.azure.state.requests.filter((r) => r.path.startsWith('/api/images/'));
  t.same(recorded.map((r) => [r.method, r.status]), Array(4).fill(['GET', 200]), 'the frontend records every request for the Monitor twin');
  t.ok(recorded.every((r) => r.durationMs >= 0 && r.at instanceof Date));
});

t.test('an instance whose API died is Unhealthy with Azure\'s reason, and skipped by the frontend', async (t) => {
  await scaleSet.setCapacity(2);
  t.teardown(() => scaleSet.setCapacity(0));
  const [first, second] = lab.azure.vmss.pool.list();
  await second!.stopApi();
  const servers = await gateway.backendHealth();
  t.same(servers[0], { address: first!.address, health: 'Healthy' });
  t.match(servers[1], { address: second!.address, health: 'Unhealthy', detail: /^Cannot connect to backend server/ });
  for (let i = 0; i < 3; i += 1) t.equal((await fetch(`${url}/health`)).headers.get('x-served-by'), first!.computerName);

  await first!.stopApi();
  t.equal((await fetch(`${url}/health`)).status, 502, 'no backend answering: 502');
  await Promise.all([first!.startApi(), second!.startApi()]);
  t.same((await gateway.backendHealth()).map((s) => s.health), ['Healthy', 'Healthy'], 'restarted, both are healthy again');
});

t.test('stop and start are long-running operations; a stopped gateway answers 502', async (t) => {
  await scaleSet.setCapacity(1);
  t.teardown(() => scaleSet.setCapacity(0));
  await network.applicationGateways.beginStopAndWait(arm.resourceGroup, name, arm.poll);
  t.equal((await gateway.get()).operationalState, 'Stopped');
  t.equal((await fetch(`${url}/health`)).status, 502);
  t.match(await gateway.backendHealth(), [{ health: 'Unknown', detail: /stopped/ }]);
  await network.applicationGateways.beginStartAndWait(arm.resourceGroup, name, arm.poll);
  t.equal((await gateway.get()).operationalState, 'Running');
  t.equal((await fetch(`${url}/health`)).status, 200);
});

t.test('ARM refuses a wrong token; unknown resources are ResourceNotFound', async (t) => {
  const env = { WRONG_AZURE_TOKEN: 'not-the-token' };
  const wrong: Config = { ...config, azure: { ...config.azure, credential: { token: { env: 'WRONG_AZURE_TOKEN' } } } };
  await t.rejects(buildGateway(wrong, env).get(), { statusCode: 401, code: 'InvalidAuthenticationToken' });
  await t.rejects(network.applicationGateways.get(arm.resourceGroup, 'no-such-agw'), { statusCode: 404, code: 'ResourceNotFound' });
  await t.rejects(network.publicIPAddresses.get(arm.resourceGroup, 'no-such-ip'), { statusCode: 404, code: 'ResourceNotFound' });
});

t.test('the builder names the missing config section', async (t) => {
  t.throws(() => buildGateway({ ...config, azure: { ...config.azure, appGateway: undefined } }, process.env), new UsageError('the application gateway needs azure.appGateway (name) in the config'));
});
