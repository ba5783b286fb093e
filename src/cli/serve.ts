import { CONFIG_OPTION, EXIT, type Command } from './command.js';

export const serveCommand: Command = {
  usage: 'serve [--config FILE]',
  summary: 'run the service; without a config (no --config, no DRSENTINEL_CONFIG) against the lab twin, started in-process',
  options: { ...CONFIG_OPTION },
  positionals: [],
  async run({ values }, io) {
    const { serve } = await import('../server.js');
    const running = await serve({
      configFile: values.config as string | undefined,
      env: io.env,
      signal: io.signal,
      print: (text) => io.stderr.write(`${text}\n`),
    });
    await running.done;
    return EXIT.ok;
  },
};
