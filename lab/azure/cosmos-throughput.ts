/**
 * Cosmos DB's control plane in the ARM twin (as @azure/arm-cosmosdb calls it): the account and
 * the provisioned throughput of the lab's container. The Cosmos emulator has no offers API, so
 * the RU/s live here. As on Azure, a change is a long-running operation and manual throughput
 * below 400 RU/s, or not in steps of 100, is refused.
 */
import { azureError, type Operations, type TwinAnswer, type TwinRequest, type TwinRouter } from '../https-twin.js';

export const COSMOS_ACCOUNT = 'drsentinel-cosmos';
/** A new container of the demo app starts in warm standby. */
const START_RU = 400;
const MIN_RU = 400;
const MAX_RU = 1_000_000;
const RU_STEP = 100;

export interface CosmosThroughputTwinOptions {
  groupPath: string;
  operations: Operations;
  /** The Cosmos twin the account stands for, and its one container. */
  cosmos: { endpoint: string; database: string; container: string };
}

const key = (database: string, container: string) => `${database}/${container}`.toLowerCase();

export function registerCosmosThroughputTwin(router: TwinRouter, o: CosmosThroughputTwinOptions): void {
  const accounts = `${o.groupPath}/Microsoft.DocumentDB/databaseAccounts`;
  const accountId = `${accounts}/${COSMOS_ACCOUNT}`;
  const settingsPath = `${accounts}/:account/sqlDatabases/:db/containers/:container/throughputSettings/default`;
  const throughput = new Map([[key(o.cosmos.database, o.cosmos.container), START_RU]]);

  const unknownAccount = (req: TwinRequest) =>
    req.params.account!.toLowerCase() === COSMOS_ACCOUNT
      ? undefined
      : azureError(404, 'ResourceNotFound', `The Resource 'Microsoft.DocumentDB/databaseAccounts/${req.params.account}' under the twin's resource group was not found.`);
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

  router.add('GET', `${accounts}/:account`, (req) => {
    return unknownAccount(req) ?? {
      status: 200,
      body: {
        id: accountId,
        name: COSMOS_ACCOUNT,
        type: 'Microsoft.DocumentDB/databaseAccounts',
        kind: 'GlobalDocumentDB',
        location: 'West Europe',
        properties: { provisioningState: 'Succeeded', documentEndpoint: o.cosmos.endpoint, databaseAccountOfferType: 'Standard' },
      },
    };
  });
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
