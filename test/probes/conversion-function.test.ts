import t from 'tap';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { conversionFunctionCheck } from '../../probes/conversion-function.js';
import { buildFunctionApp } from '../../src/adapters/azure/functions.js';
import { armSettings, azureCredential } from '../../src/adapters/azure/credential.js';
import { loadConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { runCheck } from '../../src/core/result.js';
import type { FunctionApp } from '../../src/core/ports.js';
import { conversionFunction } from '../../lab/azure/state.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const config = loadConfig(lab.configFile).config;
const { name: app, conversionFunction: fn } = lab.endpoints.azure.functionApp;
const uploads = lab.endpoints.azure.blob.containers.uploads;
const functionApp = buildFunctionApp(config, process.env);
// The twin is broken and repaired with the same ARM calls a person would make.
const arm = armSettings(config, 'the test');
const web = new WebSiteManagementClient(azureCredential(config, process.env), arm.subscriptionId, arm.options);

const check = (target: FunctionApp = functionApp) => runCheck(conversionFunctionCheck(target, { functionName: fn, uploadsContainer: uploads }), { now: () => new Date() }, 30_000);
const register = (bindings: object[]) =>
  web.webApps.createFunction(arm.resourceGroup, app, fn, { config: { bindings } }, { updateIntervalInMs: arm.poll.updateIntervalInMs }).pollUntilDone();
/** The function as the lab deploys it, connections included. */
const original = conversionFunction(uploads).bindings;

t.test('the Function App lists the conversion function with its blob trigger on the uploads container', async (t) => {
  t.same(await functionApp.listFunctions(), [{ name: fn, bindings: [
    { type: 'blobTrigger', direction: 'in', name: 'upload', path: `${uploads}/{name}` },
    { type: 'cosmosDB', direction: 'out', name: 'chunks' },
  ] }]);
  const result = await check();
  t.equal(result.status, 'pass', result.reason);
  t.equal(result.reason, `the function ${fn} is deployed in ${app} with a blob trigger on ${uploads}/{name}`);
  t.same(result.evidence.functions, [fn]);
});

t.test('an unregistered function fails the check, saying so; registering it again repairs it', async (t) => {
  await web.webApps.deleteFunction(arm.resourceGroup, app, fn);
  t.notOk(lab.azure.state.functions.has(fn), 'the twin no longer knows the function');
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `the Function App ${app} does not list the conversion function ${fn}; it lists no function at all`);

  await register(original);
  const repaired = await check();
  t.equal(repaired.status, 'pass', repaired.reason);
});

t.test('a blob trigger on another container fails the check', async (t) => {
  await register(original.map((b) => (b.type === 'blobTrigger' ? { ...b, path: 'staging/{name}' } : b)));
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `the function ${fn} in ${app} is triggered by blobs in staging/{name}, not by new uploads in the container ${uploads}`);
  await register(original);
  t.equal((await check()).status, 'pass');
});

t.test('a function without a blob trigger fails the check, naming its bindings', async (t) => {
  await register([{ type: 'httpTrigger', direction: 'in', name: 'req' }]);
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `the function ${fn} in ${app} has no blob trigger; its bindings are httpTrigger (in)`);
  await register(original);
  t.equal((await check()).status, 'pass');
});

t.test('a Function App that does not exist fails with ARM\'s answer', async (t) => {
  const missing = buildFunctionApp({ ...config, azure: { ...config.azure, functionApp: { name: 'no-such-app', conversionFunction: fn } } }, process.env);
  const result = await check(missing);
  t.equal(result.status, 'fail');
  t.match(result.reason, /^the functions of the Function App no-such-app could not be listed: ResourceNotFound: /);
});

t.test('without azure.functionApp the adapter says which section is missing', async (t) => {
  t.throws(() => buildFunctionApp({ ...config, azure: { ...config.azure, functionApp: undefined } }, process.env), new UsageError('the Function App adapter needs azure.functionApp (name)'));
});
