/**
 * The Function App of the ARM twin (Microsoft.Web, as @azure/arm-appservice calls it): the
 * listing of its functions with their bindings, and the calls that register and unregister
 * one. What it lists is AzureTwinState.functions, the same registry the function host runs, so
 * unregistering the conversion function here also stops it converting uploads.
 */
import { azureError, type TwinRequest, type TwinRouter } from '../https-twin.js';
import type { AzureTwinState, TwinFunction, TwinFunctionBinding } from './state.js';

export const FUNCTION_APP = 'drsentinel-func';

export interface WebTwinOptions {
  /** `/subscriptions/{s}/resourceGroups/{rg}/providers` of the twin's resource group. */
  groupPath: string;
  state: AzureTwinState;
}

function envelope(siteId: string, fn: TwinFunction) {
  return {
    id: `${siteId}/functions/${fn.name}`,
    name: `${FUNCTION_APP}/${fn.name}`,
    type: 'Microsoft.Web/sites/functions',
    properties: {
      name: fn.name,
      function_app_id: siteId,
      config: { bindings: fn.bindings.map((b) => ({ ...b })) },
      language: 'node',
      isDisabled: false,
    },
  };
}

/** The bindings of a createFunction body, or why they are unusable. */
function bindingsOf(body: unknown): TwinFunctionBinding[] | string {
  const bindings = (body as { properties?: { config?: { bindings?: unknown } } } | undefined)?.properties?.config?.bindings;
  if (!Array.isArray(bindings)) return 'properties.config.bindings must be an array';
  const parsed: TwinFunctionBinding[] = [];
  for (const raw of bindings as Array<Record<string, unknown>>) {
    const { type, direction, name, path, connection } = raw ?? {};
    if (typeof type !== 'string' || typeof direction !== 'string' || typeof name !== 'string') return 'every binding needs a type, a direction and a name';
    parsed.push({
      type,
      direction,
      name,
      ...(typeof path === 'string' ? { path } : {}),
      ...(typeof connection === 'string' ? { connection } : {}),
    });
  }
  return parsed;
}

export function registerWebTwin(router: TwinRouter, o: WebTwinOptions): void {
  const sites = `${o.groupPath}/Microsoft.Web/sites`;
  const siteId = `${sites}/${FUNCTION_APP}`;
  const knownSite = (req: TwinRequest) =>
    req.params.app!.toLowerCase() === FUNCTION_APP
      ? undefined
      : azureError(404, 'ResourceNotFound', `The Resource 'Microsoft.Web/sites/${req.params.app}' under the twin's resource group was not found.`);
  const functionNotFound = (name: string) => azureError(404, 'NotFound', `Function ${name} does not exist in ${FUNCTION_APP}.`);
  const find = (name: string) => [...o.state.functions.values()].find((fn) => fn.name.toLowerCase() === name.toLowerCase());

  router.add('GET', `${sites}/:app/functions`, (req) => {
    return knownSite(req) ?? { status: 200, body: { value: [...o.state.functions.values()].map((fn) => envelope(siteId, fn)) } };
  });
  router.add('GET', `${sites}/:app/functions/:fn`, (req) => {
    const fn = find(req.params.fn!);
    return knownSite(req) ?? (fn ? { status: 200, body: envelope(siteId, fn) } : functionNotFound(req.params.fn!));
  });
  router.add('PUT', `${sites}/:app/functions/:fn`, (req) => {
    const refused = knownSite(req);
    if (refused) return refused;
    const bindings = bindingsOf(req.body);
    if (typeof bindings === 'string') return azureError(400, 'BadRequest', bindings);
    const existing = find(req.params.fn!);
    const fn = { name: existing?.name ?? req.params.fn!, bindings };
    o.state.functions.set(fn.name, fn);
    return { status: existing ? 200 : 201, body: envelope(siteId, fn) };
  });
  router.add('DELETE', `${sites}/:app/functions/:fn`, (req) => {
    const refused = knownSite(req);
    if (refused) return refused;
    const fn = find(req.params.fn!);
    if (!fn) return functionNotFound(req.params.fn!);
    o.state.functions.delete(fn.name);
    return { status: 204 };
  });
}
