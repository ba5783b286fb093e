import t from 'tap';
import { cosmosCheck } from '../../probes/cosmos.js';
import { buildCosmosProbe } from '../../src/adapters/azure/cosmos-probe.js';
import { runCheck } from '../../src/core/result.js';
import { cosmosAlone } from '../helpers/azure-twin.js';

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];
const { config, env, faults, key } = await cosmosAlone(t);

t.test('Cosmos refusing writes fails saying so; allowed again, the probe document round-trips', async (t) => {
  const documents = buildCosmosProbe(config, env);
  t.teardown(() => documents.close());
  const run = () => runCheck(cosmosCheck({ documents }), { now: () => new Date() }, 20_000);

  const ok = await run();
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, 'cosmos://acme/images answers; a probe document was written, read back and deleted');
  const id = ok.evidence.probeDocument as string;
  t.equal(await documents.read(id), undefined, 'the probe document is gone');
  t.notMatch(JSON.stringify(ok), key, 'no secret in the result');

  faults.set('cosmos', { status: 403, methods: WRITES });
  const refused = await run();
  t.equal(refused.status, 'fail');
  t.match(refused.reason, /^cosmos:\/\/acme\/images is readable, write refused \(403 /);
  t.match(refused.reason, 'Request blocked by Auth');

  faults.set('cosmos', undefined);
  const repaired = await run();
  t.equal(repaired.status, 'pass', repaired.reason);
});

t.test('an unreachable account and a missing container are told apart', async (t) => {
  const missing = buildCosmosProbe({ ...config, azure: { ...config.azure, cosmos: { ...config.azure.cosmos, container: 'no-such-container' } } }, env);
  t.teardown(() => missing.close());
  const noContainer = await runCheck(cosmosCheck({ documents: missing }), { now: () => new Date() }, 20_000);
  t.equal(noContainer.status, 'fail');
  t.equal(noContainer.reason, 'the Cosmos account answers but has no container cosmos://acme/no-such-container');

  faults.set('cosmos', { dropConnection: true });
  t.teardown(() => faults.set('cosmos', undefined));
  const documents = buildCosmosProbe(config, env);
  t.teardown(() => documents.close());
  const unreachable = await runCheck(cosmosCheck({ documents }), { now: () => new Date() }, 20_000);
  t.equal(unreachable.status, 'fail');
  t.match(unreachable.reason, /^the Cosmos account of cosmos:\/\/acme\/images cannot be reached: /);
});
