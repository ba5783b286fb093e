/**
 * Cosmos DB's control plane in the ARM twin (as @azure/arm-cosmosdb calls it): the account, its
 * SQL database and container, and the provisioned throughput of that container. Cosmos DB's
 * lists come whole, in one answer: its SDK reads no `nextLink`. The Cosmos emulator has no offers API, so
 * the RU/s live here. As on Azure, a change is a long-running operation and manual throughput
 * below 400 RU/s, or not in steps of 100, is refused.
 */
import { azureError, type Operations, type TwinAnswer, type TwinRequest, type TwinRouter } from '../https-twin.js';
import { addListRoutes, type ArmResources } from './arm-lists.js';

export const COSMOS_ACCOUNT = 'drsentinel-cosmos';
const ACCOUNT_TYPE = 'Microsoft.DocumentDB/databaseAccounts';
/** A new container of the demo app starts in warm standby. */
const START_RU = 400;
const MIN_RU = 400;
const MAX_RU = 1_000_000;
const RU_STEP = 100;

export interface CosmosThroughputTwinOptions {
  resources: ArmResources;
  operations: Operations;
  /** The Cosmos twin the account stands for, and its one container. */
  cosmos: { endpoint: string; database: string; container: string };
}

const key = (database: string, container: string) => `${database}/${container}`.toLowerCase();

export function registerCosmosThroughputTwin(router: TwinRouter, o: CosmosThroughputTwinOptions): void {
  const { subscriptionId, resourceGroup } = o.resources;
  const accounts = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${ACCOUNT_TYPE}`;
  const accountId = `${accounts}/${COSMOS_ACCOUNT}`;
  const databasesPath = `${accounts}/:account/sqlDatabases`;
  const containersPath = `${databasesPath}/:db/containers`;
  const settingsPath = `${containersPath}/:container/throughputSettings/default`;
  const throughput = new Map([[key(o.cosmos.database, o.cosmos.container), START_RU]]);

  const accountNotFound = (name: string) => azureError(404, 'ResourceNotFound', `The Resource '${ACCOUNT_TYPE}/${name}' under resource group '${resourceGroup}' was not found.`);
  const unknownAccount = (req: TwinRequest) => (req.params.account!.toLowerCase() === COSMOS_ACCOUNT ? undefined : accountNotFound(req.params.account!));
  const account = () => ({
    id: accountId,
    name: COSMOS_ACCOUNT,
    type: ACCOUNT_TYPE,
    kind: 'GlobalDocumentDB',
    location: 'West Europe',
    properties: { provisioningState: 'Succeeded', documentEndpoint: o.cosmos.endpoint, databaseAccountOfferType: 'Standard' },
  });
  const database = () => ({
    id: `${accountId}/sqlDatabases/${o.cosmos.database}`,
    name: o.cosmos.database,
    type: `${ACCOUNT_TYPE}/sqlDatabases`,
    properties: { resource: { id: o.cosmos.database } },
  });
  const container = () => ({
    id: `${accountId}/sqlDatabases/${o.cosmos.database}/containers/${o.cosmos.container}`,
    name: o.cosmos.container,
    type: `${ACCOUNT_TYPE}/sqlDatabases/containers`,
    properties: { resource: { id: o.cosmos.container } },
  });
  const unknownDatabase = (req: TwinRequest) =>
    unknownAccount(req) ??
    (req.params.db!.toLowerCase() === o.cosmos.database.toLowerCase() ? undefined : azureError(404, 'NotFound', `Resource Not Found. Database ${req.params.db} does not exist.`));
  const lookup = (req: TwinRequest): { key: string; ru: number } | TwinAnswer => {
    const refused = unknownAccount(req);
    if (refused) return refused;
    const k = key(req.params.db!, req.params.container!);
    const ru = throughput.get(k);
    return ru === undefined ? azureError(404, 'NotFound', `Resource Not Found. Container ${req.params.db}/${req.params.container} has no dedicated throughput.`) : { key: k, ru };
  };
  const settings = (req: TwinRequest, ru: number) => ({
    id: `${accountId}/sqlDatabases/${req.params.db}/containers/${req.params.container}/throughputSettings/default`,
    name: 'default',
    type: 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/throughputSettings',
    properties: { resource: { throughput: ru, minimumThroughput: String(MIN_RU) } },
  });

  addListRoutes(router, o.resources, { type: ACCOUNT_TYPE, modelled: () => [{ resourceGroup, body: account() }], unpaged: true });
  router.add('GET', `/subscriptions/:subscription/resourceGroups/:group/providers/${ACCOUNT_TYPE}/:name`, (req) =>
    req.params.subscription === subscriptionId && req.params.group!.toLowerCase() === resourceGroup.toLowerCase() && req.params.name!.toLowerCase() === COSMOS_ACCOUNT
      ? { status: 200, body: account() }
      : o.resources.read(ACCOUNT_TYPE, req.params, accountNotFound(req.params.name!)),
  );
  router.add('GET', databasesPath, (req) => unknownAccount(req) ?? { status: 200, body: { value: [database()] } });
  router.add('GET', `${databasesPath}/:db`, (req) => unknownDatabase(req) ?? { status: 200, body: database() });
  router.add('GET', containersPath, (req) => unknownDatabase(req) ?? { status: 200, body: { value: [container()] } });
  router.add('GET', `${containersPath}/:container`, (req) =>
    unknownDatabase(req) ??
    (req.params.container!.toLowerCase() === o.cosmos.container.toLowerCase()
      ? { status: 200, body: container() }
      : azureError(404, 'NotFound', `Resource Not Found. Container ${req.params.db}/${req.params.container} does not exist.`)),
  );
  router.add('GET', settingsPath, (req) => {
    const found = lookup(req);
    return 'key' in found ? { status: 200, body: settings(req, found.ru) } : found;
  });
  router.add('PUT', settingsPath, (req) => {
    const found = lookup(req);
    if (!('key' in found)) return found;
    const ru = (req.body as { properties?: { resource?: { throughput?: unknown } } } | undefined)?.properties?.resource?.throughput;
    if (typeof ru !== 'number' || !Number.isInteger(ru) || ru < MIN_RU || ru > MAX_RU || ru % RU_STEP !== 0) {
      return azureError(400, 'BadRequest', `The offer should have valid throughput values between ${MIN_RU} and ${MAX_RU} inclusive in increments of ${RU_STEP}.`);
    }
    const id = o.operations.start(async () => {
      throughput.set(found.key, ru);
      return settings(req, ru);
    });
    return { status: 202, headers: o.operations.asyncOperation(id) };
  });
}
