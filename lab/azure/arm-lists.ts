/**
 * ARM's collection reads: the resources of a type in a resource group or in the whole
 * subscription, a page at a time with `nextLink`, as the SDKs' pagers walk them. Besides what
 * the twins model, the subscription may hold neighbours: resources a test adds so that a list
 * has more than one entry, or entries in another resource group. A neighbour is listed and
 * read like any resource, and nothing else. Last, ARM's answers for paths no twin serves.
 */
import { azureError, type TwinAnswer, type TwinRequest, type TwinRouter } from '../https-twin.js';

/** What an ARM list page holds when the caller does not ask for fewer (`$top`). */
export const DEFAULT_PAGE_SIZE = 100;

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  [property: string]: unknown;
}

export interface Neighbour {
  /** `Namespace/type`, e.g. `Microsoft.Compute/virtualMachineScaleSets`. */
  type: string;
  name: string;
  /** Default: the lab's resource group. */
  resourceGroup?: string;
  location?: string;
  properties?: Record<string, unknown>;
  /** Top-level fields besides id, name, type, location and properties (sku, kind, tags…). */
  fields?: Record<string, unknown>;
}

/** A resource in a list: its body, and the group it lives in. */
export interface Listed {
  resourceGroup: string;
  body: unknown;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class ArmResources {
  /** Entries per page of every paged list. */
  pageSize = DEFAULT_PAGE_SIZE;
  readonly #neighbours: Array<{ resourceGroup: string; body: ArmResource }> = [];

  constructor(
    readonly subscriptionId: string,
    readonly resourceGroup: string,
  ) {}

  add(n: Neighbour): ArmResource {
    const resourceGroup = n.resourceGroup ?? this.resourceGroup;
    const id = `/subscriptions/${this.subscriptionId}/resourceGroups/${resourceGroup}/providers/${n.type}/${n.name}`;
    if (this.#neighbours.some((r) => same(r.body.id, id))) throw new Error(`the subscription already holds ${id}`);
    const body: ArmResource = { ...n.fields, id, name: n.name, type: n.type, location: n.location ?? 'westeurope', properties: { provisioningState: 'Succeeded', ...n.properties } };
    this.#neighbours.push({ resourceGroup, body });
    return body;
  }

  remove(id: string): boolean {
    const at = this.#neighbours.findIndex((r) => same(r.body.id, id));
    if (at >= 0) this.#neighbours.splice(at, 1);
    return at >= 0;
  }

  /** The neighbours of one type, in one resource group or in all of them. */
  neighbours(type: string, resourceGroup?: string): Listed[] {
    return this.#neighbours.filter((r) => same(r.body.type, type) && (resourceGroup === undefined || same(r.resourceGroup, resourceGroup)));
  }

  /** ARM's answer when a path names another subscription or a resource group that does not exist. */
  scopeError(params: Record<string, string>): TwinAnswer | undefined {
    const subscription = params.subscription;
    if (subscription !== undefined && !same(subscription, this.subscriptionId)) {
      return azureError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`);
    }
    const group = params.group;
    if (group !== undefined && !same(group, this.resourceGroup) && !this.#neighbours.some((r) => same(r.resourceGroup, group))) {
      return azureError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
    }
    return undefined;
  }

  /** A neighbour's body, else `notFound`: for the GET routes of a type the twins model. */
  read(type: string, params: Record<string, string>, notFound: TwinAnswer): TwinAnswer {
    const found = this.neighbours(type, params.group).find((r) => same((r.body as ArmResource).name, params.name ?? ''));
    return this.scopeError(params) ?? (found ? { status: 200, body: found.body } : notFound);
  }
}

/**
 * One page of `items`: `$skiptoken` is where it starts, `$top` (when the API has it) makes it
 * smaller. The `nextLink` repeats the request's query, so the next page is read as the first was.
 */
export function listPage(req: TwinRequest, items: unknown[], pageSize: number): TwinAnswer {
  const skipToken = req.url.searchParams.get('$skiptoken');
  const start = skipToken === null ? 0 : Number(skipToken);
  if (!Number.isInteger(start) || start < 0 || start > items.length) return azureError(400, 'InvalidSkipToken', `The skip token '${skipToken}' is not valid.`);
  const top = req.url.searchParams.get('$top');
  const asked = top === null ? Infinity : Number(top);
  if (!Number.isInteger(asked) && asked !== Infinity) return azureError(400, 'InvalidParameter', `The value '${top}' of parameter '$top' is not valid.`);
  if (asked < 1) return azureError(400, 'InvalidParameter', `The value '${top}' of parameter '$top' must be at least 1.`);
  const end = start + Math.min(asked, pageSize);
  const body: { value: unknown[]; nextLink?: string } = { value: items.slice(start, end) };
  if (end < items.length) {
    const next = new URLSearchParams(req.url.searchParams);
    next.set('$skiptoken', String(end));
    body.nextLink = `https://${req.headers.host}${req.url.pathname}?${next}`;
  }
  return { status: 200, body };
}

export interface ListRoutes {
  /** `Namespace/type` as the list paths spell it. */
  type: string;
  /** The resources of this type the twins model. */
  modelled: () => Listed[];
  /** Lists the whole collection in one answer, for APIs whose SDK reads no `nextLink` (Cosmos DB). */
  unpaged?: boolean;
}

/** The two lists of a top-level type: in a resource group, and in the whole subscription. */
export function addListRoutes(router: TwinRouter, resources: ArmResources, o: ListRoutes): void {
  const answer = (req: TwinRequest, group?: string) => {
    const refused = resources.scopeError(req.params);
    if (refused) return refused;
    const inGroup = (r: Listed) => group === undefined || same(r.resourceGroup, group);
    const items = [...o.modelled().filter(inGroup), ...resources.neighbours(o.type, group)].map((r) => r.body);
    return o.unpaged ? { status: 200, body: { value: items } } : listPage(req, items, resources.pageSize);
  };
  router
    .add('GET', `/subscriptions/:subscription/resourceGroups/:group/providers/${o.type}`, (req) => answer(req, req.params.group))
    .add('GET', `/subscriptions/:subscription/providers/${o.type}`, (req) => answer(req));
}

/**
 * ARM's answer for a path no twin serves, each as Azure words it: another subscription or an
 * unknown resource group, a resource provider the lab does not run, a resource type a served
 * provider does not have.
 */
export function armUnknownPath(resources: ArmResources, namespaces: string[]): (url: URL) => TwinAnswer {
  return (url) => {
    const path = url.pathname;
    const arm = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?(?:\/providers\/([^/]+)((?:\/[^/]+)*))?\/?$/i.exec(path);
    const noRoute = azureError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`);
    if (!arm) return noRoute;
    const [, subscription, group, namespace, rest] = arm.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    const refused = resources.scopeError({ subscription: subscription!, ...(group === undefined ? {} : { group }) });
    if (refused) return refused;
    if (namespace === undefined) return noRoute;
    if (!namespaces.some((served) => same(served, namespace))) return azureError(404, 'InvalidResourceNamespace', `The resource namespace '${namespace}' is invalid.`);
    // `/type/name/child/name…`: the type is every other segment.
    const type = (rest ?? '').split('/').slice(1).filter((_, i) => i % 2 === 0).join('/');
    const apiVersion = url.searchParams.get('api-version') ?? '';
    return azureError(404, 'InvalidResourceType', `The resource type '${type}' could not be found in the namespace '${namespace}' for api version '${apiVersion}'.`);
  };
}
