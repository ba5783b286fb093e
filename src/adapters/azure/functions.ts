/**
 * The Function App behind the FunctionApp port: its functions and their bindings, as ARM lists
 * them (@azure/arm-appservice). A function's ARM name is `<app>/<function>`; the port uses the
 * function's own name.
 */
import { WebSiteManagementClient, type FunctionEnvelope } from '@azure/arm-appservice';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { FunctionApp, FunctionBinding, FunctionInfo } from '../../core/ports.js';
import { armSettings, azureCredential } from './credential.js';

const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** `properties.config` is the function's function.json, untyped in the SDK. */
function bindingsOf(config: unknown): FunctionBinding[] {
  const bindings = (config as { bindings?: unknown } | undefined)?.bindings;
  if (!Array.isArray(bindings)) return [];
  return bindings.flatMap((raw: Record<string, unknown> | null) => {
    const type = optionalString(raw?.type);
    if (!type) return [];
    const binding: FunctionBinding = { type };
    for (const field of ['direction', 'name', 'path'] as const) {
      const value = optionalString(raw?.[field]);
      if (value !== undefined) binding[field] = value;
    }
    return [binding];
  });
}

function toFunctionInfo(envelope: FunctionEnvelope): FunctionInfo {
  const name = (envelope.name ?? '').split('/').pop() ?? '';
  return { name, bindings: bindingsOf(envelope.config) };
}

export class AzureFunctionApp implements FunctionApp {
  constructor(
    readonly name: string,
    private readonly client: WebSiteManagementClient,
    private readonly resourceGroup: string,
  ) {}

  async listFunctions(signal?: AbortSignal): Promise<FunctionInfo[]> {
    const functions: FunctionInfo[] = [];
    for await (const envelope of this.client.webApps.listFunctions(this.resourceGroup, this.name, { abortSignal: signal })) {
      functions.push(toFunctionInfo(envelope));
    }
    return functions;
  }
}

export function buildFunctionApp(config: Config, env: NodeJS.ProcessEnv = process.env): FunctionApp {
  const app = config.azure.functionApp;
  if (!app) throw new UsageError('the Function App adapter needs azure.functionApp (name)');
  const arm = armSettings(config, 'the Function App adapter');
  const client = new WebSiteManagementClient(azureCredential(config, env), arm.subscriptionId, { ...arm.options, credentials: { scopes: [arm.scope] } });
  return new AzureFunctionApp(app.name, client, arm.resourceGroup);
}
