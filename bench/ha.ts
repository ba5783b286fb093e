/**
 * P4, high availability: how long replicas on PostgreSQL are without a leader when the leader
 * is killed (SIGKILL: the lease must run out), and what a game-day drill costs on PostgreSQL
 * against the embedded SQLite store. Each on a lab of its own with the demo data, the service
 * built (`dist/`) and run as `drsentinel serve` processes.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../lab/index.js';
import { startPostgres, type LocalPostgres } from '../lab/postgres.js';
import { gameDayApproved, leaderOf, startServiceProcess, untilAnswer, type ServiceProcess } from '../lab/service-process.js';
import { judge, type Row } from './report.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const LEASE_S = 15;
/** With the default store.leaseSeconds, a follower leads within it of the leader's death. */
const FAILOVER_TARGET_S = LEASE_S;
const DRILL_RATIO_TARGET = 1.2;
const FAILOVERS = 3;

type Log = (line: string) => void;

export async function haRows(log: Log, raw: Record<string, unknown>): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'drsentinel-bench-ha-'));
  // A directory of its own: as root the cluster belongs to the postgres user, who cannot enter `dir` (0700).
  const postgresDir = await mkdtemp(join(tmpdir(), 'drsentinel-bench-pg-'));
  const running: ServiceProcess[] = [];
  let lab: Lab | undefined;
  let postgres: LocalPostgres | undefined;
  try {
    lab = await startLab({ stateDir: join(dir, 'lab') });
    postgres = await startPostgres(postgresDir);
    const serve = async (name: string, env: NodeJS.ProcessEnv = {}) => {
      const service = await startServiceProcess(lab!, name, [CLI, 'serve', '--config', lab!.configFile], { DRSENTINEL__SERVICE__PORT: '0', DRSENTINEL__SERVICE__LOG_LEVEL: 'warn', ...env });
      running.push(service);
      return service;
    };
    const stop = async (service: ServiceProcess) => {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGTERM');
        await once(service.child, 'exit');
      }
    };
    const replicaEnv = (db: string) => ({ DRSENTINEL_STORE_URL: `${postgres!.url.replace(/\/postgres$/, '')}/${db}`, DRSENTINEL__STORE__POSTGRES__URL: '{"env":"DRSENTINEL_STORE_URL"}' });
    const createDatabase = async (db: string) => {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: postgres!.url });
      await client.connect();
      await client.query(`CREATE DATABASE ${db}`);
      await client.end();
    };
    const syncAll = async (service: ServiceProcess) => {
      const started = await service.call('POST', '/api/v1/syncs/all/run', 'operator', {});
      for (const id of started.body.ids as string[]) await untilAnswer(service, `/api/v1/syncs/${id}`, (r) => r.status !== 'running');
    };
    const drill = async (service: ServiceProcess) => {
      await syncAll(service);
      const began = Date.now();
      const run = await gameDayApproved(() => service, 'bench');
      if (run.status !== 'succeeded') throw new Error(`the bench drill ended ${run.status}: ${JSON.stringify(run.steps.filter((s: any) => s.status !== 'succeeded')).slice(0, 1000)}`);
      return (Date.now() - began) / 1000;
    };

    log('P4 game-day drill on SQLite (one process)');
    const single = await serve('sqlite');
    const sqliteSeconds = await drill(single);
    await stop(single);

    log('P4 game-day drill on PostgreSQL (two replicas)');
    await createDatabase('bench_ha');
    const replicas = [await serve('a', replicaEnv('bench_ha')), await serve('b', replicaEnv('bench_ha'))];
    const postgresSeconds = await drill(await leaderOf(replicas));

    log(`P4 leader failover after SIGKILL, ${FAILOVERS} times`);
    const failovers: number[] = [];
    for (let i = 0; i < FAILOVERS; i++) {
      const leader = await leaderOf(replicas);
      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      await once(leader.child, 'exit');
      const others = replicas.filter((r) => r !== leader);
      await leaderOf(others, 60_000);
      failovers.push((Date.now() - killedAt) / 1000);
      replicas.splice(replicas.indexOf(leader), 1, await serve(`${leader.name}${i + 2}`, replicaEnv('bench_ha')));
    }
    raw.P4 = { sqliteDrillSeconds: sqliteSeconds, postgresDrillSeconds: postgresSeconds, failoverSeconds: failovers };
    const worst = Math.max(...failovers);
    const ratio = postgresSeconds / sqliteSeconds;
    return [
      {
        id: 'P4', what: `leader failover after SIGKILL (lease ${LEASE_S} s; worst of ${FAILOVERS}: ${failovers.map((s) => s.toFixed(1)).join(', ')} s)`, drsentinel: {},
        value: worst, shown: `${worst.toFixed(1)} s`, target: `≤ ${FAILOVER_TARGET_S} s`, status: judge({ value: worst, limit: FAILOVER_TARGET_S, kind: 'max' }),
      },
      {
        id: 'P4', what: `game-day drill wall time, PostgreSQL ${postgresSeconds.toFixed(1)} s vs SQLite ${sqliteSeconds.toFixed(1)} s`, drsentinel: {},
        value: ratio, shown: `${ratio.toFixed(2)}×`, target: `≤ ${DRILL_RATIO_TARGET}×`, status: judge({ value: ratio, limit: DRILL_RATIO_TARGET, kind: 'max' }),
      },
    ];
  } finally {
    for (const service of running) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    postgres?.stop();
    await lab?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(postgresDir, { recursive: true, force: true });
  }
}
