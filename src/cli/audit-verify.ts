import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { openStore } from '../store/index.js';
import { storeFile } from '../paths.js';
import { CONFIG_OPTION, EXIT, JSON_OPTION, configFileOf, line, type Command } from './command.js';

/** Walks the hash chain of the audit log: exit 0 if intact, 1 naming the first bad row. */
export const auditVerify: Command = {
  usage: 'audit verify [--config FILE] [--json]',
  summary: 'prove that no audit row was edited, inserted or deleted',
  options: { ...CONFIG_OPTION, ...JSON_OPTION },
  positionals: [{ name: 'action', choices: ['verify'] }],
  async run({ values }, io) {
    const { config } = loadConfig(configFileOf(values, io.env), io.env);
    const file = storeFile(config);
    // Opening a missing file would create an empty store and "verify" nothing.
    if (!existsSync(file)) throw new UsageError(`no store at ${file}: check service.stateDir in the config`);
    const store = openStore(file);
    try {
      const verdict = await store.audit.verify();
      if (values.json) line(io.stdout, JSON.stringify(verdict));
      else if (verdict.ok) line(io.stdout, `audit log intact: ${verdict.rows} rows`);
      else line(io.stdout, `audit log broken at row ${verdict.firstBad?.seq}: ${verdict.firstBad?.reason} (${verdict.rows} rows)`);
      return verdict.ok ? EXIT.ok : EXIT.failed;
    } finally {
      await store.close();
    }
  },
};
