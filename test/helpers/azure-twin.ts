/**
 * One Azure twin on its own, for a test that needs nothing else of the lab: a control-plane
 * twin with its TLS certificate and bearer token, or a data-plane emulator behind the lab's
 * front; its fault switch; and a config whose `azure` section points at it (the rest is the
 * complete fixture's), with the environment its secrets are read from. Stopped when the test ends.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Test } from 'tap';
import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient } from '@azure/cosmos';
import { FaultSwitch } from '../../lab/faults.js';
import { makeTwinCertificate } from '../../lab/tls.js';
import { startKeyVaultTwin } from '../../lab/azure/keyvault.js';
import { startMonitorTwin } from '../../lab/azure/monitor.js';
import { AzureTwinState } from '../../lab/azure/state.js';
import { azuriteConnectionString, COSMOS_KEY } from '../../lab/emulators.js';
import { startProxy } from '../../lab/proxy.js';
import { createImagesContainer } from '../../lab/stores.js';
import { startWebsite } from '../../lab/website.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { FIXTURE_ENV, FIXTURES } from '../cli/config-file.js';
import { startAzurite, startCosmosServer, tempDir } from './emulators.js';

const HOST = '127.0.0.1';
const TOKEN_VARIABLE = 'DRS_TEST_AZURE_TOKEN';
const COSMOS_KEY_VARIABLE = 'DRS_TEST_COSMOS_KEY';

/** The complete fixture, read with its secrets' environment and `secrets` added to it; its `azure` section changed as asked. */
function fixture(secrets: Record<string, string>) {
  const env = { ...process.env, ...FIXTURE_ENV, ...secrets };
  const base = loadConfig(join(FIXTURES, 'valid.yaml'), env).config;
  const withAzure = (azure: Partial<Config['azure']>): Config => ({ ...base, azure: { ...base.azure, ...azure } });
  return { env, azure: base.azure, withAzure };
}

/** What a control-plane twin needs: its TLS certificate and a bearer token, which the config reads from the environment. */
async function controlPlane(t: Test) {
  const tls = await makeTwinCertificate(await tempDir(t, 'azure-twin'), [HOST]);
  const token = randomBytes(24).toString('base64url');
  const { env, withAzure } = fixture({ [TOKEN_VARIABLE]: token });
  const azure = (extra: Partial<Config['azure']>) => withAzure({ credential: { token: { env: TOKEN_VARIABLE } }, ...extra });
  return { tls, token, ca: tls.caFile, faults: new FaultSwitch(), env, azure };
}

/** Key Vault, with the lab's 90-day wildcard certificate in it. */
export async function keyVaultAlone(t: Test) {
  const { tls, azure, ...base } = await controlPlane(t);
  const vault = await startKeyVaultTwin({ host: HOST, tls, faults: base.faults, token: base.token });
  t.teardown(() => vault.close());
  const config = azure({ keyVault: { url: vault.url, certificate: vault.certificate, ca: base.ca } });
  return { ...base, url: vault.url, certificate: vault.certificate, config };
}

/** Azure Monitor's Log Analytics query API, reading the request log of a twin state the test fills. */
export async function monitorAlone(t: Test) {
  const { tls, azure, ...base } = await controlPlane(t);
  const state = new AzureTwinState();
  const monitor = await startMonitorTwin({ host: HOST, tls, faults: base.faults, token: base.token, state });
  t.teardown(() => monitor.close());
  const config = azure({ monitor: { endpoint: monitor.endpoint, workspaceId: monitor.workspaceId, ca: base.ca } });
  return { ...base, endpoint: monitor.endpoint, workspaceId: monitor.workspaceId, state, config };
}

/**
 * Azurite behind the lab's Blob front, with the config's containers created empty, and the
 * static-website front on `$web` when asked for. The fixture reads its connection string from
 * DRS_TEST_BLOB.
 */
export async function blobAlone(t: Test, opts: { website?: boolean } = {}) {
  const faults = new FaultSwitch();
  const front = await startProxy({ upstream: await startAzurite(t), host: HOST, service: 'blob', faults });
  t.teardown(() => front.close());
  const connectionString = azuriteConnectionString(front.url);
  const { env, azure: { blob }, withAzure } = fixture({ DRS_TEST_BLOB: connectionString });
  const service = BlobServiceClient.fromConnectionString(connectionString);
  await Promise.all(Object.values(blob.containers).map((name) => service.getContainerClient(name).create()));
  let websiteUrl = blob.websiteUrl;
  if (opts.website) {
    const website = await startWebsite({ blobService: connectionString, container: blob.containers.site, host: HOST });
    t.teardown(() => website.close());
    websiteUrl = website.url;
  }
  return { config: withAzure({ blob: { ...blob, websiteUrl } }), env, faults, connectionString, websiteUrl };
}

/** The Cosmos server behind the lab's Cosmos front, with the config's database and container created empty. */
export async function cosmosAlone(t: Test) {
  const faults = new FaultSwitch();
  const front = await startProxy({ upstream: await startCosmosServer(t), host: HOST, service: 'cosmos', faults });
  t.teardown(() => front.close());
  const { env, azure, withAzure } = fixture({ [COSMOS_KEY_VARIABLE]: COSMOS_KEY });
  const cosmos = { ...azure.cosmos, endpoint: front.url, key: { env: COSMOS_KEY_VARIABLE } };
  const client = new CosmosClient({ endpoint: front.url, key: COSMOS_KEY, connectionPolicy: { enableEndpointDiscovery: false } });
  try {
    await createImagesContainer(client, cosmos.database, cosmos.container);
  } finally {
    client.dispose();
  }
  return { config: withAzure({ cosmos }), env, faults, key: COSMOS_KEY };
}
