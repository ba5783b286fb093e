/**
 * The two-replica demo (`drsentinel lab --postgres`): a local PostgreSQL from Debian's packages
 * and, beside the lab's own config, one config per replica: the same clouds, the store on that
 * PostgreSQL (its URL in a secret file, as in production), each its own port.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startPostgres, type LocalPostgres } from './postgres.js';

export interface ReplicaDemo {
  postgres: LocalPostgres;
  /** One config file per replica, and the port each listens on. */
  replicas: Array<{ name: string; configFile: string; port: number }>;
}

/** Starts PostgreSQL under `stateDir/postgres` and writes `stateDir/replica-<name>.yaml` for each of `ports`. */
export async function startReplicaDemo(stateDir: string, labConfigFile: string, ports: readonly number[] = [8081, 8082]): Promise<ReplicaDemo> {
  const postgres = await startPostgres(join(stateDir, 'postgres'));
  const urlFile = join(stateDir, 'secrets', 'postgres-url');
  await writeFile(urlFile, postgres.url, { mode: 0o600 });
  const base = parse(await readFile(labConfigFile, 'utf8')) as { service: Record<string, unknown> };
  const replicas = await Promise.all(ports.map(async (port, i) => {
    const name = String.fromCharCode(97 + i);
    const configFile = join(stateDir, `replica-${name}.yaml`);
    const config = { ...base, service: { ...base.service, port, stateDir: join(stateDir, `state-${name}`) }, store: { postgres: { url: { file: urlFile } } } };
    await writeFile(configFile, `# Replica ${name} of the lab's two-replica demo: drsentinel serve --config ${configFile}\n${stringify(config)}`, { mode: 0o600 });
    return { name, configFile, port };
  }));
  return { postgres, replicas };
}
