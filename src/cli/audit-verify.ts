import { loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { openConfiguredStore } from '../store/configured.js';
import { CONFIG_OPTION, EXIT, JSON_OPTION, configFileOf, line, type Command } from './command.js';

/** Walks the hash chain of the audit log: exit 0 if intact, 1 naming the first bad row. */
export const auditVerify: Command = {
  usage: 'audit verify [--config FILE] [--json]',
  summary: 'prove that no audit row was edited, inserted or deleted',
  options: { ...CONFIG_OPTION, ...JSON_OPTION },
  positionals: [{ name: 'action', choices: ['verify'] }],
  async run({ values }, io) {
    const { config } = loadConfig(configFileOf(values, io.env), io.env);
    // Reads only: it verifies beside a running service, and a missing store is an error, not an empty log.
    const { store } = await openConfiguredStore(config, io.env, { writer: 'drsentinel audit verify', clock: systemClock, readOnly: true });
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
