/**
 * Microsoft.Network on the ARM twin: the Application Gateway in front of the scale set, as
 * arm-network reads, stops and starts it and asks for its backend health (a long-running POST
 * answered through `Location`), the public IP its frontend listens on, and the scale set's
 * network interfaces (where its instances' private addresses are), each read and listed.
 * Backend health is measured, not made up: each instance's /health is probed as the gateway's
 * probe would.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Operations, type TwinAnswer, type TwinRequest, type TwinRouter } from '../https-twin.js';
import { addListRoutes, listPage, type ArmResources } from './arm-lists.js';
import { armId, LOCATION, resourceNotFound, type ArmScope, type ScaleSetTwin } from './compute.js';
import { startGatewayFrontend, type GatewayFrontend } from './gateway-frontend.js';
import type { ApiInstance } from './instances.js';
import type { AzureTwinState } from './state.js';

export const GATEWAY_NAME = 'drsentinel-agw';
const PUBLIC_IP_NAME = `${GATEWAY_NAME}-pip`;
const GATEWAY_TYPE = 'Microsoft.Network/applicationGateways';
const PUBLIC_IP_TYPE = 'Microsoft.Network/publicIPAddresses';
const PROBE_PATH = '/health';
const PROBE_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 20_000;
/** How long a stop or start takes: long enough for a client to poll at least once. */
const TRANSITION_MS = 100;

/** Azure's own probe log messages. */
const PROBE_LOG = {
  healthy: (status: number) => `Success. Received ${status} status code`,
  badStatus: (status: number) =>
    `Received invalid status code: ${status} in the backend server's HTTP response. As per the health probe configuration, 200-399 is the acceptable status code. Either modify probe configuration or resolve backend issues. To learn more visit - https://aka.ms/InvalidCode.`,
  unreachable:
    'Cannot connect to backend server. Check whether any NSG/UDR/Firewall is blocking access to the server. Check if application is running on correct port. To learn more visit - https://aka.ms/ServerNotReachable.',
  timeout: `Time taken by the backend to respond to application gateway's health probe is more than the time-out threshold in the probe configuration. To learn more visit - https://aka.ms/ProbeTimeOut.`,
  stopped: 'The Application Gateway is stopped: its backends are not probed.',
};

interface ServerHealth {
  health: 'Healthy' | 'Unhealthy' | 'Unknown';
  healthProbeLog: string;
}

function probe(instance: ApiInstance): Promise<ServerHealth> {
  return new Promise((resolve) => {
    const req = http.get({ host: instance.address, port: instance.port, path: PROBE_PATH, timeout: PROBE_TIMEOUT_MS, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { health: 'Healthy', healthProbeLog: PROBE_LOG.healthy(status) } : { health: 'Unhealthy', healthProbeLog: PROBE_LOG.badStatus(status) });
    });
    req.on('timeout', () => {
      resolve({ health: 'Unhealthy', healthProbeLog: PROBE_LOG.timeout });
      req.destroy();
    });
    req.on('error', () => resolve({ health: 'Unhealthy', healthProbeLog: PROBE_LOG.unreachable }));
  });
}

export type OperationalState = 'Running' | 'Stopping' | 'Stopped' | 'Starting';

/** The gateway and its frontend; tests stop and start it through ARM or through this handle. */
export class AppGatewayTwin {
  readonly name = GATEWAY_NAME;
  readonly resourceGuid = randomUUID();
  operationalState: OperationalState = 'Running';

  constructor(
    readonly scope: ArmScope,
    readonly scaleSet: ScaleSetTwin,
    readonly publicIp: string,
    readonly frontend: GatewayFrontend,
  ) {}

  get id(): string {
    return armId(this.scope, `Microsoft.Network/applicationGateways/${this.name}`);
  }

  get publicIpId(): string {
    return armId(this.scope, `Microsoft.Network/publicIPAddresses/${PUBLIC_IP_NAME}`);
  }

  /** Where the public frontend answers. */
  get url(): string {
    return this.frontend.url;
  }

  async stop(): Promise<void> {
    this.operationalState = 'Stopping';
    await sleep(TRANSITION_MS);
    this.operationalState = 'Stopped';
  }

  async start(): Promise<void> {
    this.operationalState = 'Starting';
    await sleep(TRANSITION_MS);
    this.operationalState = 'Running';
  }

  close(): Promise<void> {
    return this.frontend.close();
  }

  #child(kind: string, name: string, properties: Record<string, unknown>) {
    return { id: `${this.id}/${kind}/${name}`, name, etag: `W/"${this.resourceGuid}"`, properties: { provisioningState: 'Succeeded', ...properties } };
  }

  body(): unknown {
    const ref = (kind: string, name: string) => ({ id: `${this.id}/${kind}/${name}` });
    const instances = this.scaleSet.pool.list();
    return {
      id: this.id,
      name: this.name,
      type: 'Microsoft.Network/applicationGateways',
      location: LOCATION,
      etag: `W/"${this.resourceGuid}"`,
      properties: {
        provisioningState: 'Succeeded',
        operationalState: this.operationalState,
        resourceGuid: this.resourceGuid,
        sku: { name: 'Standard_v2', tier: 'Standard_v2' },
        autoscaleConfiguration: { minCapacity: 0, maxCapacity: 2 },
        gatewayIPConfigurations: [this.#child('gatewayIPConfigurations', 'appGatewayIpConfig', { subnet: { id: armId(this.scope, 'Microsoft.Network/virtualNetworks/drsentinel-vnet/subnets/gateway') } })],
        frontendIPConfigurations: [this.#child('frontendIPConfigurations', 'appGwPublicFrontendIp', { privateIPAllocationMethod: 'Dynamic', publicIPAddress: { id: this.publicIpId } })],
        frontendPorts: [this.#child('frontendPorts', 'http', { port: this.frontend.port })],
        backendAddressPools: [
          this.#child('backendAddressPools', 'api-pool', { backendIPConfigurations: instances.map((i) => ({ id: `${this.scaleSet.nicId(i)}/ipConfigurations/ipconfig1` })) }),
        ],
        backendHttpSettingsCollection: [
          this.#child('backendHttpSettingsCollection', 'api-http', {
            port: this.scaleSet.pool.port,
            protocol: 'Http',
            cookieBasedAffinity: 'Disabled',
            requestTimeout: REQUEST_TIMEOUT_MS / 1000,
            probe: ref('probes', 'api-health'),
          }),
        ],
        httpListeners: [
          this.#child('httpListeners', 'http-listener', {
            frontendIPConfiguration: ref('frontendIPConfigurations', 'appGwPublicFrontendIp'),
            frontendPort: ref('frontendPorts', 'http'),
            protocol: 'Http',
            requireServerNameIndication: false,
          }),
        ],
        requestRoutingRules: [
          this.#child('requestRoutingRules', 'api-rule', {
            ruleType: 'Basic',
            priority: 100,
            httpListener: ref('httpListeners', 'http-listener'),
            backendAddressPool: ref('backendAddressPools', 'api-pool'),
            backendHttpSettings: ref('backendHttpSettingsCollection', 'api-http'),
          }),
        ],
        probes: [
          this.#child('probes', 'api-health', {
            protocol: 'Http',
            host: '127.0.0.1',
            path: PROBE_PATH,
            interval: 30,
            timeout: PROBE_TIMEOUT_MS / 1000,
            unhealthyThreshold: 3,
            match: { statusCodes: ['200-399'] },
          }),
        ],
      },
    };
  }

  publicIpBody(): unknown {
    return {
      id: this.publicIpId,
      name: PUBLIC_IP_NAME,
      type: 'Microsoft.Network/publicIPAddresses',
      location: LOCATION,
      sku: { name: 'Standard', tier: 'Regional' },
      properties: {
        provisioningState: 'Succeeded',
        resourceGuid: this.resourceGuid,
        ipAddress: this.publicIp,
        publicIPAddressVersion: 'IPv4',
        publicIPAllocationMethod: 'Static',
        idleTimeoutInMinutes: 4,
        ipConfiguration: { id: `${this.id}/frontendIPConfigurations/appGwPublicFrontendIp` },
      },
    };
  }

  /** The network interface of an instance: its private address, as the NIC API reads it. */
  networkInterface(instance: ApiInstance): unknown {
    const nicId = this.scaleSet.nicId(instance);
    return {
      id: nicId,
      name: `${this.scaleSet.name}-nic`,
      type: 'Microsoft.Network/networkInterfaces',
      location: LOCATION,
      properties: {
        provisioningState: 'Succeeded',
        primary: true,
        virtualMachine: { id: `${this.scaleSet.id}/virtualMachines/${instance.instanceId}` },
        ipConfigurations: [
          { id: `${nicId}/ipConfigurations/ipconfig1`, name: 'ipconfig1', properties: { primary: true, privateIPAddress: instance.address, privateIPAllocationMethod: 'Dynamic', privateIPAddressVersion: 'IPv4' } },
        ],
      },
    };
  }

  /** Probes every instance of the pool now, as the backend health API reports it. */
  async backendHealth(): Promise<unknown> {
    const instances = this.scaleSet.pool.list();
    const stopped = this.operationalState !== 'Running';
    const servers = await Promise.all(
      instances.map(async (i) => ({
        address: i.address,
        ipConfiguration: { id: `${this.scaleSet.nicId(i)}/ipConfigurations/ipconfig1` },
        ...(stopped ? { health: 'Unknown', healthProbeLog: PROBE_LOG.stopped } : await probe(i)),
      })),
    );
    return {
      backendAddressPools: [
        {
          backendAddressPool: { id: `${this.id}/backendAddressPools/api-pool` },
          backendHttpSettingsCollection: [{ backendHttpSettings: { id: `${this.id}/backendHttpSettingsCollection/api-http` }, servers }],
        },
      ],
    };
  }
}

export interface NetworkTwinOptions {
  resources: ArmResources;
  publicIp: string;
  scaleSet: ScaleSetTwin;
  state: AzureTwinState;
}

/** Starts the gateway's frontend and registers the routes of the gateway, its public IP and the scale set's network interfaces. */
export async function registerNetwork(router: TwinRouter, operations: Operations, o: NetworkTwinOptions): Promise<AppGatewayTwin> {
  let gateway: AppGatewayTwin | undefined;
  const frontend = await startGatewayFrontend({
    host: o.publicIp,
    backends: () => o.scaleSet.pool.list().filter((i) => i.powerState === 'running'),
    running: () => gateway?.operationalState === 'Running',
    state: o.state,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  // The gateway lives beside the scale set it fronts.
  const scope = o.scaleSet.scope;
  gateway = new AppGatewayTwin(scope, o.scaleSet, o.publicIp, frontend);
  const agw = gateway;

  const base = '/subscriptions/:subscription/resourceGroups/:group/providers/Microsoft.Network';
  const scaleSetBase = `/subscriptions/:subscription/resourceGroups/:group/providers/Microsoft.Compute/virtualMachineScaleSets/:name`;
  const inScope = (params: Record<string, string>) => params.subscription === scope.subscriptionId && params.group!.toLowerCase() === scope.resourceGroup.toLowerCase();
  const gatewayRoute = (handler: () => TwinAnswer) => ({ params }: { params: Record<string, string> }) =>
    inScope(params) && params.name!.toLowerCase() === agw.name ? handler() : resourceNotFound(scope, GATEWAY_TYPE, params.name!);
  const modelledOr = (type: string, name: string, body: () => unknown) => ({ params }: TwinRequest): TwinAnswer =>
    inScope(params) && params.name!.toLowerCase() === name ? { status: 200, body: body() } : o.resources.read(type, params, resourceNotFound(scope, type, params.name!));
  // Stop and start answer as Azure does: the status to poll, and where the (empty) result will be.
  const transition = (work: () => Promise<void>) => () => {
    const id = operations.start(work);
    return { status: 202, headers: { ...operations.asyncOperation(id), ...operations.location(id) } };
  };
  const scaleSetRoute = (handler: (req: TwinRequest) => TwinAnswer) => (req: TwinRequest) =>
    inScope(req.params) && req.params.name!.toLowerCase() === o.scaleSet.name ? handler(req) : resourceNotFound(scope, 'Microsoft.Compute/virtualMachineScaleSets', req.params.name!);
  const instanceRoute = (handler: (instance: ApiInstance, req: TwinRequest) => TwinAnswer) =>
    scaleSetRoute((req) => {
      const instance = o.scaleSet.pool.get(req.params.instance!);
      return instance ? handler(instance, req) : resourceNotFound(scope, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', `${req.params.name}/${req.params.instance}`);
    });

  addListRoutes(router, o.resources, { type: GATEWAY_TYPE, modelled: () => [{ resourceGroup: scope.resourceGroup, body: agw.body() }] });
  addListRoutes(router, o.resources, { type: PUBLIC_IP_TYPE, modelled: () => [{ resourceGroup: scope.resourceGroup, body: agw.publicIpBody() }] });
  router
    .add('GET', `${base}/applicationGateways/:name`, modelledOr(GATEWAY_TYPE, agw.name, () => agw.body()))
    .add('POST', `${base}/applicationGateways/:name/stop`, gatewayRoute(transition(() => agw.stop())))
    .add('POST', `${base}/applicationGateways/:name/start`, gatewayRoute(transition(() => agw.start())))
    .add(
      'POST',
      `${base}/applicationGateways/:name/backendhealth`,
      gatewayRoute(() => ({ status: 202, headers: operations.location(operations.start(() => agw.backendHealth())) })),
    )
    .add('GET', `${base}/publicIPAddresses/:name`, modelledOr(PUBLIC_IP_TYPE, PUBLIC_IP_NAME, () => agw.publicIpBody()))
    .add('GET', `${scaleSetBase}/networkInterfaces`, scaleSetRoute((req) => listPage(req, o.scaleSet.pool.list().map((i) => agw.networkInterface(i)), o.resources.pageSize)))
    .add('GET', `${scaleSetBase}/virtualMachines/:instance/networkInterfaces`, instanceRoute((instance, req) => listPage(req, [agw.networkInterface(instance)], o.resources.pageSize)))
    .add('GET', `${scaleSetBase}/virtualMachines/:instance/networkInterfaces/:nic`, instanceRoute((instance, req) =>
      req.params.nic!.toLowerCase() === `${o.scaleSet.name}-nic`
        ? { status: 200, body: agw.networkInterface(instance) }
        : resourceNotFound(scope, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/networkInterfaces', `${req.params.name}/${req.params.instance}/${req.params.nic}`),
    ));
  return agw;
}
