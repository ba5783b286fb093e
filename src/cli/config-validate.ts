import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import { redact } from '../config/secrets.js';
import { CONFIG_OPTION, EXIT, configFileOf, line, type Command } from './command.js';

/** Prints "FILE: valid", or every problem (file and field path) and exits 2 through ConfigError. */
export const configValidate: Command = {
  usage: 'config validate [FILE] [--print]',
  summary: 'check a config file (default: --config or DRSENTINEL_CONFIG) and name every problem; --print shows the effective config (defaults and environment overrides applied, no secret values)',
  options: { ...CONFIG_OPTION, print: { type: 'boolean' } },
  positionals: [{ name: 'action', choices: ['validate'] }, { name: 'file', optional: true }],
  async run({ values, words }, io) {
    const file = words.file ?? configFileOf(values, io.env);
    const { config } = loadConfig(file, io.env);
    line(io.stdout, `${file}: valid`);
    if (values.print) io.stdout.write(stringify(redact(config)));
    return EXIT.ok;
  },
};
