/**
 * The API's virtual machine scale set (the ScaleSet port) over @azure/arm-compute: its model
 * as the standby check reads it, its instances with their power state, and capacity changes
 * that wait for Azure's long-running operation to finish. Compute does not know an instance's
 * address: its network interface does, so @azure/arm-network lists those.
 */
import { ComputeManagementClient, type VirtualMachineScaleSet, type VirtualMachineScaleSetVM } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { ScaleSet, ScaleSetInstance, ScaleSetState } from '../../core/ports.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { armSettings, azureCredential } from './credential.js';

/** The SAS URL of the console log only has to live while it is read. */
const CONSOLE_LOG_SAS_MINUTES = 5;
const CONSOLE_LOG_LINES = 40;

function imageReference(model: VirtualMachineScaleSet): string | undefined {
  const image = model.virtualMachineProfile?.storageProfile?.imageReference;
  if (!image) return undefined;
  if (image.publisher && image.offer && image.sku) return [image.publisher, image.offer, image.sku, image.version ?? 'latest'].join(':');
  return image.id ?? image.sharedGalleryImageId ?? image.communityGalleryImageId;
}

/** Cloud-init custom data (never returned by Azure), user data, or a script extension. */
function hasStartupScript(model: VirtualMachineScaleSet): boolean {
  const profile = model.virtualMachineProfile;
  if (profile?.osProfile?.customData || profile?.userData) return true;
  return (profile?.extensionProfile?.extensions ?? []).some((e) => /CustomScript/i.test(e.type ?? ''));
}

function toState(model: VirtualMachineScaleSet, name: string): ScaleSetState {
  return {
    name: model.name ?? name,
    provisioningState: model.provisioningState ?? 'Unknown',
    capacity: model.sku?.capacity ?? 0,
    imageReference: imageReference(model),
    hasStartupScript: hasStartupScript(model),
  };
}

/** `PowerState/running` → `running`; `unknown` while Azure reports none. */
function powerState(vm: VirtualMachineScaleSetVM): string {
  const code = vm.instanceView?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
  return code ? code.slice('PowerState/'.length) : 'unknown';
}

export class AzureScaleSet implements ScaleSet {
  constructor(
    private readonly client: ComputeManagementClient,
    private readonly network: NetworkManagementClient,
    private readonly resourceGroup: string,
    readonly name: string,
    private readonly poll: { updateIntervalInMs: number },
    /** Trusts the private CA of the storage the boot diagnostics live in (the lab's twins). */
    private readonly dispatcher?: Agent,
  ) {}

  async get(signal?: AbortSignal): Promise<ScaleSetState> {
    // User data is where the start-up script lives; Azure returns it only when asked.
    const model = await this.client.virtualMachineScaleSets.get(this.resourceGroup, this.name, { expand: 'userData', abortSignal: signal });
    return toState(model, this.name);
  }

  async instances(signal?: AbortSignal): Promise<ScaleSetInstance[]> {
    const [vms, addresses] = await Promise.all([this.#vms(signal), this.#privateAddresses(signal)]);
    return vms.map((vm) => {
      const address = addresses.get(vm.id?.toLowerCase() ?? '');
      return { id: vm.instanceId ?? vm.name ?? '', powerState: powerState(vm), ...(address ? { address } : {}) };
    });
  }

  async setCapacity(capacity: number, signal?: AbortSignal): Promise<ScaleSetState> {
    await this.client.virtualMachineScaleSets.beginUpdateAndWait(this.resourceGroup, this.name, { sku: { capacity } }, { ...this.poll, abortSignal: signal });
    // The operation's result lacks the user data; read the model as the standby check sees it.
    return this.get(signal);
  }

  async consoleLog(instanceId: string, signal?: AbortSignal): Promise<string> {
    const data = await this.client.virtualMachineScaleSetVMs.retrieveBootDiagnosticsData(this.resourceGroup, this.name, instanceId, {
      sasUriExpirationTimeInMinutes: CONSOLE_LOG_SAS_MINUTES,
      abortSignal: signal,
    });
    if (!data.serialConsoleLogBlobUri) return '';
    const res = await undiciFetch(data.serialConsoleLogBlobUri, { signal, ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
    if (!res.ok) throw new Error(`the console log of instance ${instanceId} could not be read (HTTP ${res.status})`);
    return (await res.text()).split('\n').filter(Boolean).slice(-CONSOLE_LOG_LINES).join('\n');
  }

  async #vms(signal?: AbortSignal): Promise<VirtualMachineScaleSetVM[]> {
    const vms: VirtualMachineScaleSetVM[] = [];
    for await (const vm of this.client.virtualMachineScaleSetVMs.list(this.resourceGroup, this.name, { expand: 'instanceView', abortSignal: signal })) vms.push(vm);
    return vms;
  }

  /** Instance resource id (lower case) → the primary private address of its network interface. */
  async #privateAddresses(signal?: AbortSignal): Promise<Map<string, string>> {
    const addresses = new Map<string, string>();
    for await (const nic of this.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(this.resourceGroup, this.name, { abortSignal: signal })) {
      const vm = nic.virtualMachine?.id;
      const ip = (nic.ipConfigurations?.find((c) => c.primary) ?? nic.ipConfigurations?.[0])?.privateIPAddress;
      if (vm && ip) addresses.set(vm.toLowerCase(), ip);
    }
    return addresses;
  }
}

export function buildScaleSet(config: Config, env: NodeJS.ProcessEnv = process.env): ScaleSet {
  const vmss = config.azure.vmss;
  if (!vmss) throw new UsageError('the scale set needs azure.vmss (name) in the config');
  const arm = armSettings(config, 'the scale set');
  const credential = azureCredential(config, env);
  const compute = new ComputeManagementClient(credential, arm.subscriptionId, arm.options);
  const network = new NetworkManagementClient(credential, arm.subscriptionId, arm.options);
  const ca = arm.options.tlsOptions?.ca;
  return new AzureScaleSet(compute, network, arm.resourceGroup, vmss.name, arm.poll, ca ? new Agent({ connect: { ca } }) : undefined);
}
