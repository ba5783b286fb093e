/**
 * Replicas of the service, each in a process of its own (so a test can SIGKILL or SIGSTOP one),
 * all on one PostgreSQL store and one lab; stopped at the end of the test.
 */
import type { Test } from 'tap';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../lab/index.js';
import { leaderOf, startServiceProcess, untilAnswer, type ServiceProcess } from '../../lab/service-process.js';
import { TS_LOADER } from './ts-loader.js';

export type Replica = ServiceProcess;

const script = fileURLToPath(new URL('../runbooks/serve-child.ts', import.meta.url));

export function replicas(t: Test, lab: Lab, storeUrl: string, env: NodeJS.ProcessEnv = {}) {
  const started: Replica[] = [];
  t.teardown(async () => {
    for (const { child } of started) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  async function start(name: string): Promise<Replica> {
    const replica = await startServiceProcess(lab, name, [...TS_LOADER, script, lab.configFile], {
      DRSENTINEL_STORE_URL: storeUrl,
      DRSENTINEL__STORE__POSTGRES__URL: '{"env":"DRSENTINEL_STORE_URL"}',
      DRSENTINEL__SERVICE__LOG_LEVEL: 'warn',
      ...env,
    });
    started.push(replica);
    return replica;
  }

  return { start, until: untilAnswer, leaderOf };
}
