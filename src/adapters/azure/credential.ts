/**
 * How every Azure control-plane adapter signs in and reaches its endpoint. Against the lab's
 * twins: a fixed token and a private CA (given to that client only); in production: a service
 * principal or the default credential chain, and Azure's public endpoints.
 */
import { readFileSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import type { Config } from '../../config/schema.js';
import { readSecret } from '../../config/secrets.js';
import { UsageError } from '../../core/errors.js';
import { azureTimeoutPolicy, requestTimeoutMs } from '../timeouts.js';

/** A fixed bearer token does not expire by itself; the SDK asks again after this long. */
const STATIC_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export function azureCredential(config: Config, env: NodeJS.ProcessEnv): TokenCredential {
  const credential = config.azure.credential;
  if (credential && 'token' in credential) {
    const token = readSecret(credential.token, env);
    return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + STATIC_TOKEN_LIFETIME_MS }) };
  }
  if (credential) return new ClientSecretCredential(credential.tenantId, credential.clientId, readSecret(credential.clientSecret, env));
  return new DefaultAzureCredential();
}

/** Options shared by the ARM clients: endpoint and, for a private CA, TLS trust. */
export function clientOptions(endpoint: string, caFile: string | undefined) {
  return {
    endpoint,
    ...(caFile ? { tlsOptions: { ca: readFileSync(caFile, 'utf8') } } : {}),
  };
}

/** Each ARM request (polls included) is bounded by `sync.requestTimeoutSeconds`, as every outbound call is. */
function armOptions(config: Config, endpoint: string, caFile: string | undefined) {
  return {
    ...clientOptions(endpoint, caFile),
    additionalPolicies: [{ policy: azureTimeoutPolicy(requestTimeoutMs(config)), position: 'perCall' as const }],
  };
}

export interface ArmSettings {
  subscriptionId: string;
  resourceGroup: string;
  options: ReturnType<typeof armOptions>;
  /** For `begin…AndWait` calls: how often to poll. */
  poll: { updateIntervalInMs: number };
  /** The token scope of this ARM endpoint (clients default to public Azure's or to `<endpoint>/.default`). */
  scope: string;
}

/** The `azure.arm` section, required by every ARM adapter; its absence names what needs it. */
export function armSettings(config: Config, needs: string): ArmSettings {
  const arm = config.azure.arm;
  if (!arm) throw new UsageError(`${needs} needs azure.arm (endpoint, subscriptionId, resourceGroup)`);
  return {
    subscriptionId: arm.subscriptionId,
    resourceGroup: arm.resourceGroup,
    options: armOptions(config, arm.endpoint, arm.ca),
    poll: { updateIntervalInMs: arm.pollIntervalMs },
    scope: `${new URL(arm.endpoint).origin}/.default`,
  };
}
