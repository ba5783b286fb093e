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

export const SUBSCRIPTION_ID = '00000000-0000-4000-8000-00000000d75e';
export const RESOURCE_GROUP = 'drsentinel-standby';

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
    // ARM routes (compute, network): register on `router` here.
    // ARM routes (web, Cosmos throughput, DNS zones): register on `router` here.
    const arm = await startHttpsTwin({ service: 'arm', host: o.host, tls: o.tls, faults: o.faults, router, operations, authorize: bearerAuthorize(token) });
    closers.push(() => arm.close());
    // Key Vault, Monitor and the function host: start here.
    return {
      state,
      arm: { endpoint: arm.url, subscriptionId: SUBSCRIPTION_ID, resourceGroup: RESOURCE_GROUP, token },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
