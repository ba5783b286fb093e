/**
 * The Cosmos container as a DocumentProbe (R5 check 2): its definition, and one probe document
 * created, read and deleted. The probe document carries its id as its partition key value, so
 * it needs nothing from the sync's key schema.
 */
import { CosmosClient, type Container, type JSONObject } from '@azure/cosmos';
import type { Config } from '../../config/schema.js';
import { readSecret } from '../../config/secrets.js';
import type { DocumentProbe } from '../../core/ports.js';

const statusOf = (err: unknown) => (err as { code?: unknown }).code;

/** `/a/b` → `{ a: { b: value } }`: partition key paths may be nested. */
function atPath(path: string, value: string): Record<string, unknown> {
  return path
    .split('/')
    .filter(Boolean)
    .reduceRight<Record<string, unknown>>((inner, part, i, parts) => ({ [part]: i === parts.length - 1 ? value : inner }), {});
}

export class CosmosDocumentProbe implements DocumentProbe {
  readonly name: string;
  private partitionKey: Promise<string> | undefined;

  constructor(private readonly container: Container) {
    this.name = `cosmos://${container.database.id}/${container.id}`;
  }

  async describe(signal?: AbortSignal): Promise<{ partitionKey: string } | undefined> {
    try {
      const { resource } = await this.container.read(signal ? { abortSignal: signal } : {});
      if (!resource) return undefined;
      const partitionKey = resource.partitionKey?.paths?.[0] ?? '/id';
      this.partitionKey = Promise.resolve(partitionKey);
      return { partitionKey };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async keyPath(signal?: AbortSignal): Promise<string> {
    this.partitionKey ??= this.describe(signal).then((d) => d?.partitionKey ?? '/id');
    return this.partitionKey;
  }

  async create(id: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const path = await this.keyPath(signal);
    await this.container.items.create({ ...body, ...atPath(path, id), id } as JSONObject, signal ? { abortSignal: signal } : {});
  }

  async read(id: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    try {
      const { resource } = await this.container.item(id, id).read<Record<string, unknown>>(signal ? { abortSignal: signal } : {});
      return resource;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async delete(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.container.item(id, id).delete(signal ? { abortSignal: signal } : {});
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}

/** Its own client (released by `close`), so the probe works whatever else is built. */
export function buildCosmosProbe(config: Config, env: NodeJS.ProcessEnv = process.env): DocumentProbe & { close(): void } {
  const { endpoint, key, database, container, endpointDiscovery } = config.azure.cosmos;
  const client = new CosmosClient({ endpoint, key: readSecret(key, env), connectionPolicy: { enableEndpointDiscovery: endpointDiscovery } });
  const probe = new CosmosDocumentProbe(client.database(database).container(container));
  return Object.assign(probe, { close: () => client.dispose() });
}
