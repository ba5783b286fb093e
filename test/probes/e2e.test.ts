import t, { type Test } from 'tap';
import { conversionFunction } from '../../lab/azure/state.js';
import { endToEndCheck, type EndToEndOptions } from '../../probes/e2e.js';
import { buildAppLogs } from '../../src/adapters/azure/monitor.js';
import { loadConfig } from '../../src/config/load.js';
import { runCheck, type Result } from '../../src/core/result.js';
import { withLab } from '../helpers/lab.js';
import { adaptersFor } from '../contract/lab-adapters.js';

const lab = await withLab(t, { empty: true });
const adapters = adaptersFor(t, lab, () => {});
const logs = buildAppLogs(loadConfig(lab.configFile).config, process.env);
const uploadsContainer = lab.endpoints.azure.blob.containers.uploads;
const state = lab.azure.state;
const base: EndToEndOptions = {
  uploads: adapters.objects.azureUploads,
  logs,
  cosmos: adapters.tables.cosmos,
  functionName: 'convert',
  waitSeconds: 60,
  pollMs: 200,
};
const check = (opts: Partial<EndToEndOptions> = {}) => runCheck(endToEndCheck({ ...base, ...opts }), { now: () => new Date() }, 120_000);

const leftovers = async () => {
  const blobs: string[] = [];
  for await (const info of adapters.objects.azureUploads.list({ prefix: 'drsentinel-e2e/' })) blobs.push(info.key);
  let items = 0;
  for await (const item of adapters.tables.cosmos.scan()) if ('S' in item.imageId! && item.imageId.S.startsWith('drsentinel-e2e/')) items++;
  return { blobs, items };
};

/** The SAS URL's signature and the connection string never appear in what a check says. */
const assertNoSecrets = (t: Test, result: Result) => {
  const text = JSON.stringify(result);
  t.notMatch(text, /sig=|sv=|se=|SharedAccessSignature|AccountKey/, 'no SAS or key in the result');
  t.notMatch(text, /https?:\/\//, 'no URL in the result');
};

t.test('an uploaded image is converted into chunks that decode to the exact bytes; the test data is removed', async (t) => {
  const result = await check();
  t.equal(result.status, 'pass', result.reason);
  t.match(result.reason, /^drsentinel-e2e\/[0-9a-f-]{36}\.png \(24576 bytes\) was converted by convert into 4 Cosmos chunks that decode to the exact bytes uploaded$/);
  t.match(result.evidence, { imageId: /^drsentinel-e2e\//, bytes: 24576, chunks: 4, invocationId: String, functionName: 'convert' });
  t.match(result.measurements, { uploadMs: Number, functionSeenMs: Number, chunks: 4 });
  const run = state.functionRuns.find((r) => r.trigger === `${uploadsContainer}/${result.evidence.imageId}`);
  t.equal(run?.invocationId, result.evidence.invocationId, 'the run seen is the function host\'s');
  t.same(await leftovers(), { blobs: [], items: 0 });
  assertNoSecrets(t, result);
});

t.test('with the function unregistered the test fails saying it did not run in time, and still cleans up', async (t) => {
  const convert = state.functions.get('convert')!;
  state.functions.delete('convert');
  t.teardown(() => state.functions.set('convert', convert));
  const broken = await check({ waitSeconds: 2 });
  t.equal(broken.status, 'fail');
  t.match(broken.reason, /^the function convert did not run on drsentinel-e2e\/[0-9a-f-]{36}\.png within 2 s$/);
  t.same(await leftovers(), { blobs: [], items: 0 });
  assertNoSecrets(t, broken);

  state.functions.set('convert', conversionFunction(uploadsContainer));
  const repaired = await check();
  t.equal(repaired.status, 'pass', repaired.reason);
  t.same(await leftovers(), { blobs: [], items: 0 });
});

t.test('a function that fails on the upload fails the test, naming the invocation', async (t) => {
  lab.faults.set('cosmos', { status: 503 });
  // Only the function host's writes go through the fault; the check's reads come after it is cleared.
  const logsAfterFault: typeof logs = {
    requestStatuses: (since, signal) => logs.requestStatuses(since, signal),
    functionRuns: async (name, since, signal) => {
      const runs = await logs.functionRuns(name, since, signal);
      if (runs.some((r) => !r.succeeded)) lab.faults.set('cosmos', undefined);
      return runs;
    },
  };
  t.teardown(() => lab.faults.set('cosmos', undefined));
  const broken = await check({ logs: logsAfterFault });
  t.equal(broken.status, 'fail');
  t.match(broken.reason, /^the function convert ran on drsentinel-e2e\/[0-9a-f-]{36}\.png and failed \(invocation [0-9a-f-]{36}\)$/);
  t.same(await leftovers(), { blobs: [], items: 0 });
});

t.test('an upload refused by the store fails at the upload stage without showing the SAS URL', async (t) => {
  const uploads = adapters.objects.azureUploads;
  // A SAS URL that only allows reading: the store refuses the PUT, as it would an expired one.
  const readOnly: typeof uploads = Object.assign(Object.create(uploads) as typeof uploads, { presign: (key: string) => uploads.presign!(key, 'get', 300) });
  const broken = await check({ uploads: readOnly });
  t.equal(broken.status, 'fail');
  t.match(broken.reason, /^the upload of drsentinel-e2e\/[0-9a-f-]{36}\.png through a SAS URL was refused: HTTP 403 /);
  assertNoSecrets(t, broken);
});
