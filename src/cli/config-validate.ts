import { loadConfig } from '../config/load.js';
import { CONFIG_OPTION, EXIT, configFileOf, line, type Command } from './command.js';

/** Prints "FILE: valid", or every problem (file and field path) and exits 2 through ConfigError. */
export const configValidate: Command = {
  usage: 'config validate [FILE]',
  summary: 'check a config file (default: --config or DRSENTINEL_CONFIG) and name every problem',
  options: { ...CONFIG_OPTION },
  positionals: [{ name: 'action', choices: ['validate'] }, { name: 'file', optional: true }],
  async run({ values, words }, io) {
    const file = words.file ?? configFileOf(values, io.env);
    loadConfig(file, io.env);
    line(io.stdout, `${file}: valid`);
    return EXIT.ok;
  },
};
