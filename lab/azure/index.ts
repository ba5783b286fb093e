/**
 * The Azure control plane of the lab: ARM (scale set, application gateway, function app,
 * Cosmos throughput, DNS zones), Key Vault and Azure Monitor, each an HTTPS twin speaking the
 * REST format its official SDK uses. ARM accepts one bearer token, made at lab start.
 */
import { randomBytes } from 'node:crypto';
import type { FaultSwitch } from '../faults.js';
import { bearerAuthorize, Operations, startHttpsTwin, TwinRouter } from '../https-twin.js';
import type { TwinCertificate } from '../tls.js';
import type { DnsTwin } from '../dns.js';
import { AzureTwinState, conversionFunction } from './state.js';
import { FUNCTION_APP, registerWebTwin } from './web.js';
import { COSMOS_ACCOUNT, registerCosmosThroughputTwin } from './cosmos-throughput.js';
import { registerDnsZoneTwin } from './dns-zones.js';
import { startKeyVaultTwin } from './keyvault.js';
import { startMonitorTwin } from './monitor.js';
import { startFunctionHost, type FunctionHost } from './function-host.js';
import { registerCompute, withBootDiagnostics, type ScaleSetTwin } from './compute.js';
import { registerNetwork, type AppGatewayTwin } from './network.js';
import { ArmResources, armUnknownPath } from './arm-lists.js';

export const SUBSCRIPTION_ID = '00000000-0000-4000-8000-00000000d75e';
export const RESOURCE_GROUP = 'drsentinel-standby';
/** The resource providers the ARM twin runs; a path under any other is an invalid namespace. */
const NAMESPACES = ['Microsoft.Compute', 'Microsoft.Network', 'Microsoft.Web', 'Microsoft.DocumentDB'];

export interface AzureTwinOptions {
  host: string;
  tls: TwinCertificate;
  faults: FaultSwitch;
  /** The authority of the DNS twin, which the DNS zone API changes. */
  dns: DnsTwin;
  /** The Blob and Cosmos twins the conversion function reads and writes. */
  blob: { connectionString: string; uploadsContainer: string };
  cosmos: { endpoint: string; key: string; database: string; container: string };
  /** Where the Application Gateway's frontend listens. */
  gatewayPublicIp: string;
  log: (line: string) => void;
}

export interface AzureTwins {
  state: AzureTwinState;
  arm: { endpoint: string; subscriptionId: string; resourceGroup: string; token: string };
  /** ARM's lists: their page size, and the neighbours a test adds to the subscription. */
  resources: ArmResources;
  /** The ARM names of the Function App (and its conversion function), the Cosmos account and the DNS zone. */
  functionApp: { name: string; conversionFunction: string };
  cosmosAccount: string;
  dnsZone: { zone: string };
  /** Key Vault (its wildcard certificate's name) and the Log Analytics workspace; both trust `tls`. */
  keyVault: { url: string; certificate: string };
  monitor: { endpoint: string; workspaceId: string };
  /** The API's scale set (its instances, boot delay, model) and the gateway in front of it (frontend URL, stop/start). */
  vmss: ScaleSetTwin;
  appGateway: AppGatewayTwin;
  /** The Function App's runtime: `nextScan()` resolves once it has looked at the uploads again. */
  functionHost: FunctionHost;
  close(): Promise<void>;
}

export async function startAzureTwins(o: AzureTwinOptions): Promise<AzureTwins> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const token = randomBytes(24).toString('base64url');
    const state = new AzureTwinState();
    const convert = conversionFunction(o.blob.uploadsContainer);
    state.functions.set(convert.name, convert);
    const router = new TwinRouter();
    const operations = new Operations();
    const resources = new ArmResources(SUBSCRIPTION_ID, RESOURCE_GROUP);
    const vmss = await registerCompute(router, operations, resources);
    closers.push(() => vmss.close());
    const appGateway = await registerNetwork(router, operations, { resources, publicIp: o.gatewayPublicIp, scaleSet: vmss, state });
    closers.push(() => appGateway.close());
    registerWebTwin(router, { resources, state });
    registerCosmosThroughputTwin(router, { resources, operations, cosmos: o.cosmos });
    registerDnsZoneTwin(router, { groupPath: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers`, dns: o.dns, resources });
    const arm = await startHttpsTwin({
      service: 'arm',
      host: o.host,
      tls: o.tls,
      faults: o.faults,
      router,
      operations,
      authorize: withBootDiagnostics(bearerAuthorize(token)),
      unknownPath: armUnknownPath(resources, NAMESPACES),
    });
    closers.push(() => arm.close());
    // Key Vault, Monitor and the function host: start here.
    const keyVault = await startKeyVaultTwin({ host: o.host, tls: o.tls, faults: o.faults, token });
    closers.push(() => keyVault.close());
    const monitor = await startMonitorTwin({ host: o.host, tls: o.tls, faults: o.faults, token, state });
    closers.push(() => monitor.close());
    const functionHost = await startFunctionHost({ state, blob: o.blob, cosmos: o.cosmos, log: o.log });
    closers.push(() => functionHost.close());
    return {
      state,
      arm: { endpoint: arm.url, subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP, token },
      resources,
      functionApp: { name: FUNCTION_APP, conversionFunction: convert.name },
      cosmosAccount: COSMOS_ACCOUNT,
      dnsZone: { zone: o.dns.zone },
      keyVault: { url: keyVault.url, certificate: keyVault.certificate },
      monitor: { endpoint: monitor.endpoint, workspaceId: monitor.workspaceId },
      vmss,
      appGateway,
      functionHost,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
