/**
 * Microsoft.Compute on the ARM twin: the API's virtual machine scale set, as arm-compute reads,
 * lists (with its instances, page by page) and resizes it. A capacity change is a long-running
 * operation (202 + Azure-AsyncOperation) that finishes once the new instances run their API, or
 * the removed ones have stopped.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { azureError, type Authorize, type Operations, type TwinAnswer, type TwinRouter } from '../https-twin.js';
import { InstancePool, MAX_INSTANCES, type ApiInstance } from './instances.js';
import { addListRoutes, listPage, type ArmResources } from './arm-lists.js';

export interface ArmScope {
  subscriptionId: string;
  resourceGroup: string;
}

export const LOCATION = 'westeurope';
export const SCALE_SET_NAME = 'drsentinel-api';
const SCALE_SET_TYPE = 'Microsoft.Compute/virtualMachineScaleSets';

export function armId(scope: ArmScope, resource: string): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/${resource}`;
}

/** ARM's answer for a resource that is not there. */
export function resourceNotFound(scope: ArmScope, type: string, name: string): TwinAnswer {
  return azureError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${scope.resourceGroup}' was not found.`);
}

export interface ImageReference {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

const statusAt = (code: string, displayStatus: string, time?: Date) => ({ code, level: 'Info', displayStatus, ...(time ? { time: time.toISOString() } : {}) });

/** The scale set's model and its instances; tests change the model to break the standby. */
export class ScaleSetTwin {
  readonly name = SCALE_SET_NAME;
  readonly uniqueId = randomUUID();
  provisioningState = 'Succeeded';
  capacity = 0;
  image: ImageReference | undefined = { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' };
  /** The start-up script (cloud-init), as Azure keeps it: Base64 user data. */
  userData: string | undefined = Buffer.from('#cloud-config\nruncmd:\n  - systemctl start drsentinel-api\n').toString('base64');
  #updating: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly scope: ArmScope,
    readonly pool: InstancePool,
  ) {}

  static async create(scope: ArmScope): Promise<ScaleSetTwin> {
    return new ScaleSetTwin(scope, await InstancePool.create('drapi'));
  }

  get id(): string {
    return armId(this.scope, `Microsoft.Compute/virtualMachineScaleSets/${this.name}`);
  }

  nicId(instance: ApiInstance): string {
    return `${this.id}/virtualMachines/${instance.instanceId}/networkInterfaces/${this.name}-nic`;
  }

  /** Changes the capacity; resolves when the instances have followed. Changes run one at a time. */
  setCapacity(capacity: number): Promise<void> {
    this.capacity = capacity;
    this.provisioningState = 'Updating';
    const resize = this.#updating.then(async () => {
      this.provisioningState = 'Updating';
      try {
        await this.pool.resize(this.capacity);
        this.provisioningState = 'Succeeded';
      } catch (err) {
        this.provisioningState = 'Failed';
        throw err;
      }
    });
    this.#updating = resize.catch(() => {});
    return resize;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  body(withUserData: boolean): unknown {
    return {
      id: this.id,
      name: this.name,
      type: 'Microsoft.Compute/virtualMachineScaleSets',
      location: LOCATION,
      sku: { name: 'Standard_B2s', tier: 'Standard', capacity: this.capacity },
      properties: {
        provisioningState: this.provisioningState,
        uniqueId: this.uniqueId,
        orchestrationMode: 'Uniform',
        singlePlacementGroup: true,
        overprovision: false,
        upgradePolicy: { mode: 'Manual' },
        virtualMachineProfile: {
          osProfile: {
            computerNamePrefix: this.pool.computerNamePrefix,
            adminUsername: 'azureuser',
            linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true },
          },
          storageProfile: {
            ...(this.image ? { imageReference: this.image } : {}),
            osDisk: { createOption: 'FromImage', caching: 'ReadWrite', managedDisk: { storageAccountType: 'Premium_LRS' } },
          },
          networkProfile: {
            networkInterfaceConfigurations: [
              { name: `${this.name}-nic`, properties: { primary: true, ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: armId(this.scope, 'Microsoft.Network/virtualNetworks/drsentinel-vnet/subnets/api') } } }] } },
            ],
          },
          // Azure returns user data only when asked (`$expand=userData`), and custom data never.
          ...(withUserData && this.userData ? { userData: this.userData } : {}),
        },
      },
    };
  }

  instanceView(instance: ApiInstance): unknown {
    return {
      computerName: instance.computerName,
      osName: 'ubuntu',
      platformUpdateDomain: 0,
      platformFaultDomain: 0,
      statuses: [
        statusAt(`ProvisioningState/${instance.provisioningState.toLowerCase()}`, `Provisioning ${instance.provisioningState.toLowerCase()}`, instance.createdAt),
        statusAt(`PowerState/${instance.powerState}`, `VM ${instance.powerState}`),
      ],
    };
  }

  vmBody(instance: ApiInstance, withInstanceView: boolean): unknown {
    return {
      id: `${this.id}/virtualMachines/${instance.instanceId}`,
      name: `${this.name}_${instance.instanceId}`,
      type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
      location: LOCATION,
      instanceId: instance.instanceId,
      sku: { name: 'Standard_B2s', tier: 'Standard' },
      properties: {
        vmId: instance.vmId,
        latestModelApplied: true,
        provisioningState: instance.provisioningState,
        timeCreated: instance.createdAt.toISOString(),
        osProfile: { computerName: instance.computerName, adminUsername: 'azureuser' },
        storageProfile: this.image ? { imageReference: this.image } : {},
        networkProfile: { networkInterfaces: [{ id: this.nicId(instance) }] },
        ...(withInstanceView ? { instanceView: this.instanceView(instance) } : {}),
      },
    };
  }

  scaleSetInstanceView(): unknown {
    const counts = new Map<string, number>();
    for (const i of this.pool.list()) {
      const code = `ProvisioningState/${i.provisioningState.toLowerCase()}`;
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    return {
      virtualMachine: { statusesSummary: [...counts].map(([code, count]) => ({ code, count })) },
      statuses: [statusAt(`ProvisioningState/${this.provisioningState.toLowerCase()}`, `Provisioning ${this.provisioningState.toLowerCase()}`)],
    };
  }
}

function requestedCapacity(body: unknown): number | undefined | TwinAnswer {
  const capacity = (body as { sku?: { capacity?: unknown } } | undefined)?.sku?.capacity;
  if (capacity === undefined) return undefined;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 0 || capacity > MAX_INSTANCES) {
    return azureError(400, 'InvalidParameter', `The value ${JSON.stringify(capacity)} of parameter 'sku.capacity' is not valid: it must be an integer between 0 and ${MAX_INSTANCES}.`);
  }
  return capacity;
}

/** Where the twin serves boot diagnostics logs; a request there carries a signature, not the ARM token. */
export const BOOT_DIAGNOSTICS_PATH = '/bootdiagnostics';
const bootDiagnosticsSig = randomBytes(18).toString('base64url');

/** Lets a boot diagnostics URL in on its signature, as a SAS URL is; everything else needs `authorize`. */
export function withBootDiagnostics(authorize: Authorize): Authorize {
  return (req) => (req.url.pathname.startsWith(`${BOOT_DIAGNOSTICS_PATH}/`) && req.url.searchParams.get('sig') === bootDiagnosticsSig ? undefined : authorize(req));
}

/** Registers the scale set's routes; the twin it returns is the lab's handle on it. */
export async function registerCompute(router: TwinRouter, operations: Operations, resources: ArmResources): Promise<ScaleSetTwin> {
  const scope: ArmScope = { subscriptionId: resources.subscriptionId, resourceGroup: resources.resourceGroup };
  const vmss = await ScaleSetTwin.create(scope);
  const base = `/subscriptions/:subscription/resourceGroups/:group/providers/${SCALE_SET_TYPE}/:name`;
  const mine = (params: Record<string, string>) =>
    params.subscription === scope.subscriptionId && params.group!.toLowerCase() === scope.resourceGroup.toLowerCase() && params.name!.toLowerCase() === vmss.name;
  const missing = (params: Record<string, string>) => resourceNotFound(scope, SCALE_SET_TYPE, params.name!);
  const scaleSets = () => [{ resourceGroup: scope.resourceGroup, body: vmss.body(false) }];
  /** Azure spells a location either way: `westeurope` or `West Europe`. */
  const location = (name: string) => name.replace(/\s+/g, '').toLowerCase();
  const instance = (params: Record<string, string>) => (mine(params) ? vmss.pool.get(params.instance!) : undefined);
  const missingInstance = (params: Record<string, string>) =>
    resourceNotFound(scope, 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines', `${params.name}/${params.instance}`);
  const expands = (url: URL, what: string) => (url.searchParams.get('$expand') ?? '').toLowerCase().split(',').includes(what.toLowerCase());

  const update = ({ params, body }: { params: Record<string, string>; body: unknown }): TwinAnswer => {
    if (!mine(params)) return missing(params);
    const capacity = requestedCapacity(body);
    if (typeof capacity === 'object') return capacity;
    const id = operations.start(() => vmss.setCapacity(capacity ?? vmss.capacity));
    return { status: 202, headers: operations.asyncOperation(id), body: vmss.body(false) };
  };

  addListRoutes(router, resources, { type: SCALE_SET_TYPE, modelled: scaleSets });
  router
    .add('GET', `/subscriptions/:subscription/providers/Microsoft.Compute/locations/:location/virtualMachineScaleSets`, (req) => {
      const inLocation = [...scaleSets(), ...resources.neighbours(SCALE_SET_TYPE)]
        .map((r) => r.body as { location: string })
        .filter((body) => location(body.location) === location(req.params.location!));
      return resources.scopeError(req.params) ?? listPage(req, inLocation, resources.pageSize);
    })
    .add('GET', base, ({ params, url }) => (mine(params) ? { status: 200, body: vmss.body(expands(url, 'userData')) } : resources.read(SCALE_SET_TYPE, params, missing(params))))
    .add('PATCH', base, update)
    .add('PUT', base, update)
    .add('GET', `${base}/instanceView`, ({ params }) => (mine(params) ? { status: 200, body: vmss.scaleSetInstanceView() } : missing(params)))
    .add('GET', `${base}/virtualMachines`, (req) =>
      mine(req.params) ? listPage(req, vmss.pool.list().map((i) => vmss.vmBody(i, expands(req.url, 'instanceView'))), resources.pageSize) : missing(req.params),
    )
    .add('GET', `${base}/virtualMachines/:instance`, ({ params, url }) => {
      const found = instance(params);
      return found ? { status: 200, body: vmss.vmBody(found, expands(url, 'instanceView')) } : missingInstance(params);
    })
    .add('GET', `${base}/virtualMachines/:instance/instanceView`, ({ params }) => {
      const found = instance(params);
      return found ? { status: 200, body: vmss.instanceView(found) } : missingInstance(params);
    })
    // Boot diagnostics: SAS-style URLs of the serial console log, readable without the ARM token.
    .add('POST', `${base}/virtualMachines/:instance/retrieveBootDiagnosticsData`, ({ params, headers }) => {
      const found = instance(params);
      if (!found) return missingInstance(params);
      const log = `https://${headers.host}${BOOT_DIAGNOSTICS_PATH}/${encodeURIComponent(vmss.name)}/${found.instanceId}/serial.log?sig=${bootDiagnosticsSig}`;
      return { status: 200, body: { consoleScreenshotBlobUri: log.replace('serial.log', 'screenshot.bmp'), serialConsoleLogBlobUri: log } };
    })
    .add('GET', `${BOOT_DIAGNOSTICS_PATH}/:name/:instance/serial.log`, ({ params }) => {
      const found = vmss.pool.get(params.instance!);
      return found ? { status: 200, headers: { 'content-type': 'text/plain' }, body: `${found.serialLog.join('\n')}\n` } : { status: 404, body: 'BlobNotFound' };
    });
  return vmss;
}
