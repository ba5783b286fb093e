/**
 * The Application Gateway in front of the API (the Gateway port) over @azure/arm-network: its
 * provisioning and operational state, its public address (read from the public IP resource
 * its frontend points at), and the backend health report, a long-running operation on Azure.
 */
import { NetworkManagementClient, type ApplicationGateway } from '@azure/arm-network';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { BackendServerHealth, Gateway, GatewayState } from '../../core/ports.js';
import { armSettings, azureCredential } from './credential.js';

/** `/subscriptions/…/resourceGroups/{group}/providers/…/publicIPAddresses/{name}` → its group and name. */
function parsePublicIpId(id: string): { resourceGroup: string; name: string } | undefined {
  const found = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/publicIPAddresses\/([^/]+)$/i.exec(id);
  return found ? { resourceGroup: decodeURIComponent(found[1]!), name: decodeURIComponent(found[2]!) } : undefined;
}

export class AzureGateway implements Gateway {
  constructor(
    private readonly client: NetworkManagementClient,
    private readonly resourceGroup: string,
    readonly name: string,
    private readonly poll: { updateIntervalInMs: number },
  ) {}

  async get(signal?: AbortSignal): Promise<GatewayState> {
    const gateway = await this.client.applicationGateways.get(this.resourceGroup, this.name, { abortSignal: signal });
    return {
      name: gateway.name ?? this.name,
      provisioningState: gateway.provisioningState ?? 'Unknown',
      operationalState: gateway.operationalState ?? 'Unknown',
      publicIp: await this.#publicIp(gateway, signal),
      backendPools: gateway.backendAddressPools?.length ?? 0,
      routingRules: (gateway.requestRoutingRules?.length ?? 0) + (gateway.routingRules?.length ?? 0),
    };
  }

  async backendHealth(signal?: AbortSignal): Promise<BackendServerHealth[]> {
    const report = await this.client.applicationGateways.beginBackendHealthAndWait(this.resourceGroup, this.name, { ...this.poll, abortSignal: signal });
    return (report.backendAddressPools ?? []).flatMap((pool) =>
      (pool.backendHttpSettingsCollection ?? []).flatMap((settings) =>
        (settings.servers ?? []).map((server) => ({
          address: server.address ?? server.ipConfiguration?.id ?? 'unknown',
          health: server.health ?? 'Unknown',
          ...(server.health !== 'Healthy' && server.healthProbeLog ? { detail: server.healthProbeLog } : {}),
        })),
      ),
    );
  }

  async #publicIp(gateway: ApplicationGateway, signal?: AbortSignal): Promise<string | undefined> {
    const ref = gateway.frontendIPConfigurations?.find((f) => f.publicIPAddress?.id)?.publicIPAddress?.id;
    const where = ref ? parsePublicIpId(ref) : undefined;
    if (!where) return undefined;
    const address = await this.client.publicIPAddresses.get(where.resourceGroup, where.name, { abortSignal: signal });
    return address.ipAddress;
  }
}

export function buildGateway(config: Config, env: NodeJS.ProcessEnv = process.env): Gateway {
  const gateway = config.azure.appGateway;
  if (!gateway) throw new UsageError('the application gateway needs azure.appGateway (name) in the config');
  const arm = armSettings(config, 'the application gateway');
  const client = new NetworkManagementClient(azureCredential(config, env), arm.subscriptionId, arm.options);
  return new AzureGateway(client, arm.resourceGroup, gateway.name, arm.poll);
}
