/**
 * The provisioned throughput (RU/s) of the Cosmos container behind the Throughput port,
 * through ARM (@azure/arm-cosmosdb): the data-plane offers API is not available everywhere
 * (the Cosmos emulator has none) and ARM is where Azure wants throughput changed.
 */
import { CosmosDBManagementClient, type ThroughputSettingsGetResults } from '@azure/arm-cosmosdb';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { Throughput } from '../../core/ports.js';
import { armSettings, azureCredential } from './credential.js';

export interface CosmosThroughputTarget {
  resourceGroup: string;
  account: string;
  database: string;
  container: string;
  pollIntervalMs: number;
}

export class CosmosThroughput implements Throughput {
  readonly name: string;

  constructor(private readonly client: CosmosDBManagementClient, private readonly target: CosmosThroughputTarget) {
    this.name = `${target.account}/${target.database}/${target.container}`;
  }

  async get(signal?: AbortSignal): Promise<number> {
    const { resourceGroup, account, database, container } = this.target;
    return this.#manualThroughput(await this.client.sqlResources.getSqlContainerThroughput(resourceGroup, account, database, container, { abortSignal: signal }));
  }

  async set(ru: number, signal?: AbortSignal): Promise<number> {
    const { resourceGroup, account, database, container, pollIntervalMs } = this.target;
    const settings = await this.client.sqlResources.beginUpdateSqlContainerThroughputAndWait(
      resourceGroup, account, database, container,
      { resource: { throughput: ru } },
      { abortSignal: signal, updateIntervalInMs: pollIntervalMs },
    );
    return this.#manualThroughput(settings);
  }

  /** Autoscale has no fixed RU/s to compare or set: said plainly rather than guessed. */
  #manualThroughput(settings: ThroughputSettingsGetResults): number {
    const resource = settings.resource;
    if (typeof resource?.throughput === 'number') return resource.throughput;
    const max = resource?.autoscaleSettings?.maxThroughput;
    throw new Error(`the Cosmos container ${this.name} ${max ? `uses autoscale (up to ${max} RU/s)` : 'reports no throughput'}; drsentinel manages manual throughput only`);
  }
}

export function buildThroughput(config: Config, env: NodeJS.ProcessEnv = process.env): Throughput {
  const account = config.azure.cosmosAccount;
  if (!account) throw new UsageError('the Cosmos throughput adapter needs azure.cosmosAccount (the account name in ARM)');
  const arm = armSettings(config, 'the Cosmos throughput adapter');
  const client = new CosmosDBManagementClient(azureCredential(config, env), arm.subscriptionId, { ...arm.options, credentialScopes: [arm.scope] });
  return new CosmosThroughput(client, {
    resourceGroup: arm.resourceGroup,
    account,
    database: config.azure.cosmos.database,
    container: config.azure.cosmos.container,
    pollIntervalMs: arm.poll.updateIntervalInMs,
  });
}
