import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiHealthCheck } from '../../probes/api-health.js';
import { gatewayCheck } from '../../probes/app-gateway.js';
import { gatewayBackendsCheck } from '../../probes/gateway-backends.js';
import { buildScaleSet } from '../../src/adapters/azure/compute.js';
import { buildGateway } from '../../src/adapters/azure/network.js';
import { loadConfig } from '../../src/config/load.js';
import { runCheck, type Check } from '../../src/core/result.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const scaleSet = buildScaleSet(config, process.env);
const gateway = buildGateway(config, process.env);
const url = config.azure.appGateway!.url!;
lab.azure.vmss.pool.bootDelayMs = 50;
const run = (check: Check) => runCheck(check, { now: () => new Date() }, 30_000);

t.test('app-gateway: stopping the gateway fails the check; starting it repairs it', async (t) => {
  const ok = await run(gatewayCheck(gateway));
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, 'the application gateway drsentinel-agw is provisioned and running on 127.0.0.80, with 1 backend pool(s) and 1 routing rule(s)');

  await lab.azure.appGateway.stop();
  t.teardown(() => lab.azure.appGateway.start());
  const broken = await run(gatewayCheck(gateway));
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, 'the application gateway drsentinel-agw is not ready: it is Stopped, not Running');
  t.match(broken.evidence, { operationalState: 'Stopped', publicIp: '127.0.0.80' });

  await lab.azure.appGateway.start();
  t.equal((await run(gatewayCheck(gateway))).status, 'pass');
});

t.test('gateway-backends and api-health fail with no instance, pass with two, and name a dead one', async (t) => {
  const none = await run(gatewayBackendsCheck(gateway));
  t.equal(none.status, 'fail');
  t.equal(none.reason, 'the application gateway drsentinel-agw has no backend server to send traffic to');
  const down = await run(apiHealthCheck({ url }));
  t.equal(down.status, 'fail');
  t.equal(down.reason, `the API answered HTTP 502 at ${url}/health (the gateway has no healthy instance to send it to, or is stopped)`);

  await scaleSet.setCapacity(2);
  t.teardown(() => scaleSet.setCapacity(0));
  const healthy = await run(gatewayBackendsCheck(gateway));
  t.equal(healthy.status, 'pass', healthy.reason);
  t.equal(healthy.reason, 'all 2 backends of the application gateway drsentinel-agw are healthy');
  t.same(healthy.measurements, { servers: 2, healthy: 2 });
  const up = await run(apiHealthCheck({ url }));
  t.equal(up.status, 'pass', up.reason);
  t.equal(up.reason, `the API answers ok at ${url}/health`);

  const dead = lab.azure.vmss.pool.list()[1]!;
  await dead.stopApi();
  const broken = await run(gatewayBackendsCheck(gateway));
  t.equal(broken.status, 'fail');
  t.match(broken.reason, `1 of 2 backends of the application gateway drsentinel-agw are not healthy: ${dead.address} is Unhealthy (Cannot connect to backend server.`);
  t.same(broken.measurements, { servers: 2, healthy: 1 });
  t.equal((await run(apiHealthCheck({ url }))).status, 'pass', 'the gateway still serves from the healthy instance');

  await dead.startApi();
  t.equal((await run(gatewayBackendsCheck(gateway))).status, 'pass');
});

t.test('api-health: an unreachable URL and an unhealthy answer fail with a reason', async (t) => {
  const nobody = http.createServer();
  await new Promise<void>((resolve) => nobody.listen(0, '127.0.0.1', resolve));
  const { port } = nobody.address() as AddressInfo;
  await new Promise((resolve) => nobody.close(resolve));
  const closed = await run(apiHealthCheck({ url: `http://127.0.0.1:${port}` }));
  t.equal(closed.status, 'fail');
  t.match(closed.reason, `the API did not answer at http://127.0.0.1:${port}/health: `);
  t.match(closed.reason, /ECONNREFUSED/);

  await scaleSet.setCapacity(1);
  t.teardown(() => scaleSet.setCapacity(0));
  const notFound = await run(apiHealthCheck({ url, path: '/api/nothing' }));
  t.equal(notFound.status, 'fail');
  t.equal(notFound.reason, `the API answered HTTP 404 at ${url}/api/nothing`);
  const noStatus = await run(apiHealthCheck({ url, path: '/api/images/1' }));
  t.equal(noStatus.status, 'fail');
  t.equal(noStatus.reason, `the API answered 200 at ${url}/api/images/1 but not a healthy status (status: missing)`);
});
