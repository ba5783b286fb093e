/**
 * `drsentinel report monthly`: builds the monthly readiness report from the local store
 * (the config's stateDir), stores it beside the service's reports, writes it to --out or
 * stdout, and with --email sends it to the Tech Lead. Exit 0 once produced, whatever the
 * verdict: the report is the output, not a check.
 */
import { writeFileSync } from 'node:fs';
import { adapterFactory } from '../adapters/index.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Notifier } from '../core/ports.js';
import { VERDICT_LABEL } from '../../reports/format.js';
import { emailSettings, produceMonthlyReport } from '../reporting/produce.js';
import { renderMonthly, type ReportFormat } from '../reporting/render.js';
import { openConfiguredStore } from '../store/configured.js';
import { CONFIG_OPTION, EXIT, configFileOf, line, type Command } from './command.js';

export interface ReportCommandDeps {
  /** Builds the e-mail notifier(s) from config; called only for --email. */
  emailNotifiers(config: Config, env: NodeJS.ProcessEnv): Promise<Notifier[]>;
  clock?: Clock;
}

export function reportCommand(deps: ReportCommandDeps): Command {
  return {
    usage: 'report monthly [--email] [--format html|md|json] [--out FILE] [--month YYYY-MM] [--config FILE]',
    summary: 'build the monthly DR-readiness report, write it or e-mail it to the Tech Lead',
    options: { email: { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' }, month: { type: 'string' }, ...CONFIG_OPTION },
    optionChoices: { format: ['html', 'md', 'json'] },
    positionals: [{ name: 'kind', choices: ['monthly'] }],
    async run({ values }, io) {
      const { config } = loadConfig(configFileOf(values, io.env), io.env);
      const email = Boolean(values.email);
      if (email) emailSettings(config);
      const notifiers = email ? await deps.emailNotifiers(config, io.env) : [];
      // A missing store would report every check "not run".
      const { store } = await openConfiguredStore(config, io.env, { writer: 'drsentinel report', clock: systemClock, mustExist: true });
      try {
        const month = values.month as string | undefined;
        const produced = await produceMonthlyReport({ store, config, clock: deps.clock ?? systemClock, notifiers }, { month, email, signal: io.signal });
        const text = renderMonthly(produced.report, ((values.format as ReportFormat | undefined) ?? 'md'));
        const out = values.out as string | undefined;
        if (out) writeFileSync(out, text);
        else io.stdout.write(text);
        const sent = produced.emailedTo.length ? `; e-mailed to ${produced.emailedTo.join(', ')}` : '';
        line(io.stderr, `report ${produced.id} for ${produced.report.month}: ${VERDICT_LABEL[produced.report.verdict]}${out ? `; written to ${out}` : ''}${sent}`);
        return EXIT.ok;
      } finally {
        await store.close();
      }
    },
  };
}

/** The command as shipped: e-mail goes over SMTP to notify.email.techLead. */
export const reportMonthlyCommand = reportCommand({ emailNotifiers: async (config, env) => (await adapterFactory(config, env).notifications()).email() });
