/**
 * One Azure control-plane twin on its own, for a test that needs nothing else of the lab: the
 * twin with its TLS certificate, bearer token and fault switch, and a config whose `azure`
 * section points at it (the rest is the complete fixture's). Stopped at the end of the test.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Test } from 'tap';
import { FaultSwitch } from '../../lab/faults.js';
import { makeTwinCertificate, type TwinCertificate } from '../../lab/tls.js';
import { startKeyVaultTwin } from '../../lab/azure/keyvault.js';
import { startMonitorTwin } from '../../lab/azure/monitor.js';
import { AzureTwinState } from '../../lab/azure/state.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { FIXTURE_ENV, FIXTURES } from '../cli/config-file.js';
import { tempDir } from './emulators.js';

const HOST = '127.0.0.1';
const TOKEN_VARIABLE = 'DRS_TEST_AZURE_TOKEN';

interface TwinBase {
  /** The twins' certificate authority (a PEM file), as the config's `ca`. */
  ca: string;
  faults: FaultSwitch;
  /** The bearer token the twin accepts, and the environment the config reads it from. */
  token: string;
  env: NodeJS.ProcessEnv;
}

async function twinBase(t: Test): Promise<TwinBase & { tls: TwinCertificate; azure: (extra: Partial<Config['azure']>) => Config }> {
  const tls = await makeTwinCertificate(await tempDir(t, 'azure-twin'), [HOST]);
  const token = randomBytes(24).toString('base64url');
  const env = { ...process.env, ...FIXTURE_ENV, [TOKEN_VARIABLE]: token };
  const base = loadConfig(join(FIXTURES, 'valid.yaml'), env).config;
  const azure = (extra: Partial<Config['azure']>): Config => ({ ...base, azure: { ...base.azure, credential: { token: { env: TOKEN_VARIABLE } }, ...extra } });
  return { tls, token, ca: tls.caFile, faults: new FaultSwitch(), env, azure };
}

/** Key Vault, with the lab's 90-day wildcard certificate in it. */
export async function keyVaultAlone(t: Test) {
  const { tls, azure, ...base } = await twinBase(t);
  const vault = await startKeyVaultTwin({ host: HOST, tls, faults: base.faults, token: base.token });
  t.teardown(() => vault.close());
  const config = azure({ keyVault: { url: vault.url, certificate: vault.certificate, ca: base.ca } });
  return { ...base, url: vault.url, certificate: vault.certificate, config };
}

/** Azure Monitor's Log Analytics query API, reading the request log of a twin state the test fills. */
export async function monitorAlone(t: Test) {
  const { tls, azure, ...base } = await twinBase(t);
  const state = new AzureTwinState();
  const monitor = await startMonitorTwin({ host: HOST, tls, faults: base.faults, token: base.token, state });
  t.teardown(() => monitor.close());
  const config = azure({ monitor: { endpoint: monitor.endpoint, workspaceId: monitor.workspaceId, ca: base.ca } });
  return { ...base, endpoint: monitor.endpoint, workspaceId: monitor.workspaceId, state, config };
}
