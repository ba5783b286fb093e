/**
 * The Function App of the ARM twin (Microsoft.Web, as @azure/arm-appservice calls it): the app
 * itself as the site lists show it, the listing of its functions with their bindings, and the
 * calls that register and unregister one. What it lists is AzureTwinState.functions, the same registry the function host runs, so
 * unregistering the conversion function here also stops it converting uploads.
 */
import { azureError, type TwinRequest, type TwinRouter } from '../https-twin.js';
import { addListRoutes, listPage, type ArmResources } from './arm-lists.js';
import type { AzureTwinState, TwinFunction, TwinFunctionBinding } from './state.js';

export const FUNCTION_APP = 'drsentinel-func';
const SITE_TYPE = 'Microsoft.Web/sites';

export interface WebTwinOptions {
  resources: ArmResources;
  state: AzureTwinState;
}

function site(siteId: string, resourceGroup: string) {
  const hostName = `${FUNCTION_APP}.azurewebsites.net`;
  return {
    id: siteId,
    name: FUNCTION_APP,
    type: SITE_TYPE,
    kind: 'functionapp,linux',
    location: 'West Europe',
    properties: {
      state: 'Running',
      enabled: true,
      hostNames: [hostName],
      enabledHostNames: [hostName, `${FUNCTION_APP}.scm.azurewebsites.net`],
      defaultHostName: hostName,
      availabilityState: 'Normal',
      usageState: 'Normal',
      reserved: true,
      httpsOnly: true,
      resourceGroup,
    },
  };
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
  const { subscriptionId, resourceGroup } = o.resources;
  const siteId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${SITE_TYPE}/${FUNCTION_APP}`;
  const sites = siteId.slice(0, siteId.lastIndexOf('/'));
  const siteNotFound = (name: string) => azureError(404, 'ResourceNotFound', `The Resource '${SITE_TYPE}/${name}' under resource group '${resourceGroup}' was not found.`);
  const knownSite = (req: TwinRequest) => (req.params.app!.toLowerCase() === FUNCTION_APP ? undefined : siteNotFound(req.params.app!));
  const functionNotFound = (name: string) => azureError(404, 'NotFound', `Function ${name} does not exist in ${FUNCTION_APP}.`);
  const find = (name: string) => [...o.state.functions.values()].find((fn) => fn.name.toLowerCase() === name.toLowerCase());

  addListRoutes(router, o.resources, { type: SITE_TYPE, modelled: () => [{ resourceGroup, body: site(siteId, resourceGroup) }] });
  router.add('GET', `/subscriptions/:subscription/resourceGroups/:group/providers/${SITE_TYPE}/:name`, (req) =>
    req.params.subscription === subscriptionId && req.params.group!.toLowerCase() === resourceGroup.toLowerCase() && req.params.name!.toLowerCase() === FUNCTION_APP
      ? { status: 200, body: site(siteId, resourceGroup) }
      : o.resources.read(SITE_TYPE, req.params, siteNotFound(req.params.name!)),
  );
  router.add('GET', `${sites}/:app/functions`, (req) => {
    return knownSite(req) ?? listPage(req, [...o.state.functions.values()].map((fn) => envelope(siteId, fn)), o.resources.pageSize);
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
