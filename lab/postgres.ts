/**
 * A throwaway PostgreSQL cluster from Debian's packages, on a loopback port of its own: for the
 * two-replica demo (`drsentinel lab --postgres`) and the store's tests. PostgreSQL refuses to
 * run as root, so as root the cluster belongs to the `postgres` user the package creates.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './ports.js';

export interface LocalPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  dir: string;
  stop(): void;
}

/** The newest server binaries Debian installed, or undefined when PostgreSQL is not installed. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

function asOwner(command: string, args: string[], owner: string | undefined) {
  const [file, argv] = owner ? ['runuser', ['-u', owner, '--', command, ...args]] : [command, args];
  const done = spawnSync(file, argv, { encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${done.status}): ${(done.stderr || done.stdout).trim().slice(-2000)}`);
}

/** The `postgres` user must walk down to the cluster: an ancestor others may not search (a mkdtemp dir, 0700) stops it. */
function assertReachableByOthers(dir: string): void {
  for (let at = dirname(dir); ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) {
      throw new Error(`the postgres user cannot reach ${dir}: ${at} may not be searched by others (chmod o+x it, or put the cluster under a directory that may)`);
    }
    if (dirname(at) === at) return;
  }
}

/** Creates and starts a cluster under `dir` (made if missing); about 2 s. */
export async function startPostgres(dir: string, port?: number): Promise<LocalPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql');
  const owner = userInfo().uid === 0 ? 'postgres' : undefined;
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (owner) {
    assertReachableByOthers(dir);
    const ids = execFileSync('id', ['-u', owner], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', owner], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const listen = port ?? (await freePort('127.0.0.1'));
  if (!existsSync(join(data, 'PG_VERSION'))) asOwner(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], owner);
  asOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${listen} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'], owner);
  return {
    url: `postgres://postgres@127.0.0.1:${listen}/postgres`,
    port: listen,
    dir,
    stop: () => asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], owner),
  };
}
