import t from 'tap';
import { cosmosThroughputCheck } from '../../probes/cosmos-throughput.js';
import { buildThroughput } from '../../src/adapters/azure/throughput.js';
import { loadConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { runCheck } from '../../src/core/result.js';
import type { Throughput } from '../../src/core/ports.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const { database, container } = lab.endpoints.azure.cosmos;
const throughput = buildThroughput(config, process.env);
const name = `${lab.endpoints.azure.cosmosAccount}/${database}/${container}`;
const check = (expectedRu: number, target: Throughput = throughput) => runCheck(cosmosThroughputCheck(target, { expectedRu }), { now: () => new Date() }, 30_000);

t.test('the container starts in warm standby at 400 RU/s; a change is applied through the long-running operation', async (t) => {
  t.equal(throughput.name, name);
  t.equal(await throughput.get(), 400);
  t.equal(await throughput.set(4000), 4000);
  t.equal(await throughput.get(), 4000);
  t.equal(await throughput.set(400), 400);
});

t.test('Azure\'s minimum and step are enforced', async (t) => {
  await t.rejects(throughput.set(300), { statusCode: 400, code: 'BadRequest', message: /between 400 and 1000000 inclusive in increments of 100/ });
  await t.rejects(throughput.set(450), { name: 'RestError', statusCode: 400 });
  t.equal(await throughput.get(), 400, 'a refused change leaves the throughput as it was');
});

t.test('standby throughput when active is expected fails the check; scaling up repairs it', async (t) => {
  await throughput.set(400);
  const broken = await check(4000);
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `the Cosmos container ${name} has 400 RU/s applied; 4000 RU/s are expected`);
  t.same(broken.evidence, { container: name, throughputRu: 400, expectedRu: 4000, latencyMs: broken.measurements.latencyMs, maxLatencyMs: 2000 });

  await throughput.set(4000);
  const repaired = await check(4000);
  t.equal(repaired.status, 'pass', repaired.reason);
  t.match(repaired.reason, `the Cosmos container ${name} has 4000 RU/s applied, read in `);
  t.equal(repaired.measurements.throughputRu, 4000);
  t.type(repaired.measurements.latencyMs, 'number', 'the read\'s latency is a measurement');
});

t.test('a slow control plane is a warning, with the latency measured', async (t) => {
  await throughput.set(4000);
  lab.faults.set('arm', { latencyMs: 300 });
  t.teardown(() => lab.faults.set('arm', undefined));
  const slow = await runCheck(cosmosThroughputCheck(throughput, { expectedRu: 4000, maxLatencyMs: 100 }), { now: () => new Date() }, 30_000);
  t.equal(slow.status, 'warn');
  t.match(slow.reason, new RegExp(`^the Cosmos container ${name} has 4000 RU/s applied, but reading it took \\d+ ms \\(more than 100 ms\\)$`));
  t.ok(slow.measurements.latencyMs! >= 300, 'the injected latency is in the measurement');
});

t.test('an account ARM does not know fails the check with ARM\'s answer', async (t) => {
  const wrongAccount = buildThroughput({ ...config, azure: { ...config.azure, cosmosAccount: 'no-such-account' } }, process.env);
  const missing = await check(4000, wrongAccount);
  t.equal(missing.status, 'fail');
  t.match(missing.reason, /^the throughput of the Cosmos container no-such-account\/.* could not be read: ResourceNotFound: /);
});

t.test('without azure.cosmosAccount the adapter says which setting is missing', async (t) => {
  const without = { ...config, azure: { ...config.azure, cosmosAccount: undefined } };
  t.throws(() => buildThroughput(without, process.env), new UsageError('the Cosmos throughput adapter needs azure.cosmosAccount (the account name in ARM)'));
});
