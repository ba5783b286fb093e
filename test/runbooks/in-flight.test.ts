import t from 'tap';
import { conversionFunction } from '../../lab/azure/state.js';
import { uploadsInFlight } from '../../src/runbooks/in-flight.js';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, controlFor, labSdk } from '../contract/lab-adapters.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => {});
const container = lab.endpoints.azure.blob.containers.uploads;
const since = new Date(Date.now() - 1000);
const logs = controlFor(t, lab).logs();
const inFlight = () =>
  uploadsInFlight({ uploads: adapters.objects.azureUploads, logs, functionName: 'convert', container, since, signal: AbortSignal.timeout(30_000) });
const upload = (key: string, metadata?: Record<string, string>) => sdk.blob.getContainerClient(container).getBlockBlobClient(key).upload('an image', 8, metadata ? { metadata } : {});

t.test('an upload the function has not handled is in flight; once handled, nothing is', async (t) => {
  const convert = lab.azure.state.functions.get('convert')!;
  lab.azure.state.functions.delete('convert');
  await upload('during/unprocessed.png');
  await lab.azure.functionHost.nextScan();
  t.same(await inFlight(), ['during/unprocessed.png'], 'the function did not run on it');

  lab.azure.state.functions.set('convert', convert ?? conversionFunction(container));
  await upload('during/processed.png');
  await upload('replica.png', { drsentinel_fingerprint: '8:abc' });
  await lab.azure.functionHost.nextScan();
  await lab.azure.functionHost.nextScan();
  t.same(await inFlight(), ['during/unprocessed.png'], 'the processed upload and the replica are not in flight');

  await sdk.blob.getContainerClient(container).getBlockBlobClient('during/unprocessed.png').upload('the same image, again', 21);
  await lab.azure.functionHost.nextScan();
  await lab.azure.functionHost.nextScan();
  t.same(await inFlight(), [], 'uploaded again with the function on: handled');
});
