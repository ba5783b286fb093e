/**
 * The emulators under the lab twin, as child-process specs: the lab starts all four, a test that
 * needs one starts just that one (test/helpers/emulators.ts), with the same flags.
 */
import { join } from 'node:path';
import type { EmulatorSpec } from './children.js';
import { DYNALITE_NODE_OPTIONS } from './dynalite-equality.js';

/** s3rver's default credentials (also what the twin's fronts accept). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Azurite's and the Cosmos emulator's published development keys: not secrets. */
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XiUVcyqw==';

/** Azurite's account, reached through `blobUrl` (the lab's Blob front, or Azurite itself). */
export function azuriteConnectionString(blobUrl: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobUrl}/${AZURITE_ACCOUNT};`;
}

/** `dataDir`: where the file-backed emulators keep their data (s3rver under `s3/`). */
export function emulatorSpecs(dataDir: string, host: string): Record<'s3' | 'dynamodb' | 'blob' | 'cosmos', EmulatorSpec> {
  return {
    s3: {
      name: 's3rver',
      pkg: 's3rver',
      bin: 's3rver',
      args: (port) => ['--address', host, '--port', String(port), '--directory', join(dataDir, 's3'), '--silent'],
      // Without it, ListObjectsV2 with a continuation token fails (ERR_OSSL_EVP_UNSUPPORTED).
      nodeOptions: '--openssl-legacy-provider',
    },
    dynamodb: {
      name: 'dynalite',
      pkg: 'dynalite',
      bin: 'dynalite',
      nodeOptions: DYNALITE_NODE_OPTIONS,
      args: (port) => ['--host', host, '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'],
    },
    blob: {
      name: 'azurite-blob',
      pkg: 'azurite',
      bin: 'azurite-blob',
      args: (port) => [
        // In memory: the twin is ephemeral, and Azurite starts twice as fast without its files.
        '--blobHost', host, '--blobPort', String(port), '--inMemoryPersistence',
        '--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent',
      ],
    },
    cosmos: {
      name: 'cosmosdb-server',
      pkg: '@vercel/cosmosdb-server',
      bin: 'cosmosdb-server',
      args: (port) => ['--host', host, '-p', String(port), '--no-ssl'],
    },
  };
}
