import { importLab } from '../lab-loader.js';
import { LAB_STATE_DIR } from '../paths.js';
import { aborted, onTermination } from '../shutdown.js';
import { EXIT, line, type Command } from './command.js';

export const labCommand: Command = {
  usage: 'lab [--state-dir DIR] [--empty]',
  summary: 'run the local twin of both clouds until SIGINT / SIGTERM; writes DIR/endpoints.json and DIR/drsentinel.yaml (default DIR .lab)',
  options: { 'state-dir': { type: 'string' }, empty: { type: 'boolean' } },
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
      try {
        line(io.stdout, `lab ready ${lab.stateDir}`);
        await aborted(io.signal ?? termination!.signal);
      } finally {
        await lab.stop();
      }
      return EXIT.ok;
    } finally {
      termination?.dispose();
    }
  },
};
