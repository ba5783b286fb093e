import t from 'tap';
import { scaleSetStandbyCheck } from '../../probes/scale-set.js';
import { buildScaleSet } from '../../src/adapters/azure/compute.js';
import { loadConfig } from '../../src/config/load.js';
import { runCheck } from '../../src/core/result.js';
import type { ScaleSet } from '../../src/core/ports.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const scaleSet = buildScaleSet(config, process.env);
const twin = lab.azure.vmss;
twin.pool.bootDelayMs = 50;
const check = (target: ScaleSet = scaleSet) => runCheck(scaleSetStandbyCheck(target, { expectedCapacity: 0 }), { now: () => new Date() }, 30_000);

t.test('the warm standby passes: capacity 0, provisioned, image and start-up script present', async (t) => {
  const result = await check();
  t.equal(result.status, 'pass', result.reason);
  t.equal(result.reason, 'the scale set drsentinel-api is provisioned, at capacity 0, with image Canonical:ubuntu-24_04-lts:server:latest and a start-up script');
  t.same(result.measurements, { capacity: 0 });
  t.match(result.evidence, { name: 'drsentinel-api', provisioningState: 'Succeeded', capacity: 0, expectedCapacity: 0, hasStartupScript: true });
});

t.test('capacity 1 fails the check, saying so; scaling back to 0 repairs it', async (t) => {
  await scaleSet.setCapacity(1);
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, 'the scale set drsentinel-api is not ready: it has capacity 1; the warm standby needs 0');
  t.same(broken.measurements, { capacity: 1 });

  await scaleSet.setCapacity(0);
  t.equal((await check()).status, 'pass');
});

t.test('a model without image or start-up script fails, naming both', async (t) => {
  const { image, userData } = twin;
  twin.image = undefined;
  twin.userData = undefined;
  t.teardown(() => Object.assign(twin, { image, userData }));
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(
    broken.reason,
    'the scale set drsentinel-api is not ready: its model has no image reference, so no instance could boot; its model has no start-up script, so instances would not start the API',
  );
  Object.assign(twin, { image, userData });
  t.equal((await check()).status, 'pass');
});

t.test('a failed provisioning state fails the check', async (t) => {
  twin.provisioningState = 'Failed';
  t.teardown(() => (twin.provisioningState = 'Succeeded'));
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, 'the scale set drsentinel-api is not ready: its provisioning state is Failed, not Succeeded');
});

t.test('a scale set that does not exist, or an ARM that does not answer, fails with a readable reason', async (t) => {
  const missing = await check(buildScaleSet({ ...config, azure: { ...config.azure, vmss: { name: 'no-such-vmss' } } }, process.env));
  t.equal(missing.status, 'fail');
  t.equal(missing.reason, 'the scale set no-such-vmss does not exist');

  lab.faults.set('arm', { status: 503 });
  t.teardown(() => lab.faults.set('arm', undefined));
  const down = await runCheck(scaleSetStandbyCheck(scaleSet, { expectedCapacity: 0 }), { now: () => new Date() }, 3_000);
  t.equal(down.status, 'fail');
  t.match(down.reason, /^(the scale set drsentinel-api could not be read: |.*timed out)/);
});
