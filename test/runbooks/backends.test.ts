import t from 'tap';
import { backendsHealthy } from '../../src/runbooks/activation.js';
import { withLab } from '../helpers/lab.js';
import { controlFor } from '../contract/lab-adapters.js';

const lab = await withLab(t, { empty: true });
const control = controlFor(t, lab);
const scaleSet = control.scaleSet();

t.test('R8: an unhealthy backend fails the step with the console log of its instance as evidence', async (t) => {
  await scaleSet.setCapacity(1);
  t.teardown(() => scaleSet.setCapacity(0));
  const healthy = await backendsHealthy({ control }, AbortSignal.timeout(30_000), 10_000);
  t.equal(healthy.status, 'pass', healthy.reason);

  const [instance] = lab.azure.vmss.pool.list();
  await instance!.stopApi();
  const broken = await backendsHealthy({ control }, AbortSignal.timeout(30_000), 0);
  t.equal(broken.status, 'fail');
  t.match(broken.reason, instance!.address);
  const logs = broken.evidence.consoleLogs as Record<string, string>;
  t.same(Object.keys(logs), [`${instance!.instanceId} (${instance!.address})`]);
  t.match(Object.values(logs)[0], /booting[\s\S]*drsentinel-api: listening on[\s\S]*drsentinel-api: exited \(code 1\)/, 'the serial console log, read through boot diagnostics');

  await instance!.startApi();
  t.equal((await backendsHealthy({ control }, AbortSignal.timeout(30_000), 10_000)).status, 'pass', 'the API back: healthy again');
});
