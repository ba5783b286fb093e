import { importLab, importReplicaDemo } from './lab-loader.js';
import type { startReplicaDemo } from '../../lab/replicas.js';
import { LAB_STATE_DIR } from '../config/paths.js';
import { aborted, onTermination } from './shutdown.js';
import { EXIT, line, type Command } from './command.js';

export const labCommand: Command = {
  usage: 'lab [--state-dir DIR] [--empty] [--postgres]',
  summary: 'run the local twin of both clouds until SIGINT / SIGTERM; writes DIR/endpoints.json and DIR/drsentinel.yaml (default DIR .lab); with --postgres also a local PostgreSQL and DIR/replica-a.yaml, DIR/replica-b.yaml for two replicas',
  options: { 'state-dir': { type: 'string' }, empty: { type: 'boolean' }, postgres: { type: 'boolean' } },
  positionals: [],
  async run({ values }, io) {
    const { startLab } = await importLab('the lab twin is not installed: it needs the dev dependencies (npm install without --omit=dev)');
    const termination = io.signal ? undefined : onTermination(() => line(io.stderr, 'still stopping the lab…'));
    try {
      const lab = await startLab({
        stateDir: (values['state-dir'] as string | undefined) ?? LAB_STATE_DIR,
        empty: Boolean(values.empty),
        log: (text) => line(io.stderr, text),
      });
      let demo: Awaited<ReturnType<typeof startReplicaDemo>> | undefined;
      try {
        if (values.postgres) {
          const { startReplicaDemo } = await importReplicaDemo();
          demo = await startReplicaDemo(lab.stateDir, lab.configFile);
          line(io.stderr, `PostgreSQL on port ${demo.postgres.port}; two replicas, one leader:`);
          for (const r of demo.replicas) line(io.stderr, `  drsentinel serve --config ${r.configFile}    (http://127.0.0.1:${r.port}/health)`);
        }
        line(io.stdout, `lab ready ${lab.stateDir}`);
        await aborted(io.signal ?? termination!.signal);
      } finally {
        demo?.postgres.stop();
        await lab.stop();
      }
      return EXIT.ok;
    } finally {
      termination?.dispose();
    }
  },
};
