/**
 * `drsentinel check <suite|all>`: runs the suite's checks now, in this process, recording
 * their results in the same store the service reads. One line per check (✔ pass, ✘ fail,
 * ! warn or skip), or one JSON document with --json. Exit 0 when no check failed, else 1.
 */
import type { SuiteSummary } from '../checks/runner.js';
import { SUITES, type Suite } from '../checks/suite-names.js';
import type { CheckEntry } from '../checks/suites.js';
import { loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { onTermination } from './shutdown.js';
import { openConfiguredStore } from '../store/configured.js';
import { wireChecks } from '../engines.js';
import { CONFIG_OPTION, EXIT, JSON_OPTION, configFileOf, line, type CliIo, type Command } from './command.js';

const MARK = { pass: '✔', fail: '✘', warn: '!', skip: '-' } as const;

function summaryLines(summary: SuiteSummary): string[] {
  if (summary.results.length === 0) return [`${MARK.skip} ${summary.suite}: no check in this suite yet`];
  return summary.results.map(({ check, result }) => `${MARK[result.status]} ${summary.suite}/${check} (${(result.durationMs / 1000).toFixed(1)} s) ${result.reason}`);
}

/** The command over a registry (default: every check of src/checks/suites.ts). */
export function checkCommandWith(checks?: readonly CheckEntry[]): Command {
  return {
    usage: `check <${[...SUITES, 'all'].join('|')}> [--config FILE] [--json]`,
    summary: 'run a suite of readiness checks and print their results',
    options: { ...CONFIG_OPTION, ...JSON_OPTION },
    positionals: [{ name: 'suite', choices: [...SUITES, 'all'] }],
    async run({ values, words }, io: CliIo) {
      const { config } = loadConfig(configFileOf(values, io.env), io.env);
      const { store } = await openConfiguredStore(config, io.env, { writer: 'drsentinel check', clock: systemClock });
      const engines = await wireChecks({ config, env: io.env, store, registry: checks });
      // Ctrl-C fails the running checks as aborted, and they are recorded as such.
      const termination = io.signal ? undefined : onTermination(() => line(io.stderr, 'still stopping the checks…'));
      const stopSignal = io.signal ?? termination!.signal;
      try {
        const summaries = await engines.checks.runMany(words.suite as Suite | 'all', stopSignal);
        if (values.json) line(io.stdout, JSON.stringify(summaries.length === 1 ? summaries[0] : { suites: summaries }, null, 2));
        else for (const summary of summaries) for (const text of summaryLines(summary)) line(io.stdout, text);
        return summaries.some((s) => s.status === 'fail') ? EXIT.failed : EXIT.ok;
      } finally {
        termination?.dispose();
        await engines.close();
        await store.close();
      }
    },
  };
}

export const checkCommand = checkCommandWith();
