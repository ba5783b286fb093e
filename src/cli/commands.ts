/**
 * Every `drsentinel` command, by its first word. A capability that lands replaces its
 * `pending(...)` entry with the real command, keeping the usage line of design.md.
 */
import { auditVerify } from './audit-verify.js';
import { CLIENT_OPTIONS, CONFIG_OPTION, JSON_OPTION, type Command } from './command.js';
import { configValidate } from './config-validate.js';
import { labCommand } from './lab.js';
import { pending } from './pending.js';
import { serveCommand } from './serve.js';
import { syncCommand } from './sync.js';

export const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  lab: labCommand,
  sync: syncCommand,
  check: pending('the check runner', {
    usage: 'check <monthly|smoke|e2e|complementary|all> [--config FILE] [--json]',
    summary: 'run a suite of readiness checks and print their results',
    options: { ...CONFIG_OPTION, ...JSON_OPTION },
    positionals: [{ name: 'suite', choices: ['monthly', 'smoke', 'e2e', 'complementary', 'all'] }],
  }),
  report: pending('the monthly readiness report', {
    usage: 'report monthly [--email] [--format html|md|json] [--out FILE] [--config FILE]',
    summary: 'build the monthly DR-readiness report, write it or e-mail it to the Tech Lead',
    options: { email: { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' }, ...CONFIG_OPTION },
    optionChoices: { format: ['html', 'md', 'json'] },
    positionals: [{ name: 'kind', choices: ['monthly'] }],
  }),
  activate: pending('the activation runbook', {
    usage: 'activate --scenario T --reason T [--dry-run] [--server URL] [--token T]',
    summary: 'start the activation of the Azure standby through the API (token: --token or DRSENTINEL_TOKEN)',
    options: { scenario: { type: 'string' }, reason: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...CLIENT_OPTIONS },
    positionals: [],
  }),
  rollback: pending('the rollback runbook', {
    usage: 'rollback --reason T [--dry-run] [--server URL] [--token T]',
    summary: 'start the return to AWS through the API (token: --token or DRSENTINEL_TOKEN)',
    options: { reason: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...CLIENT_OPTIONS },
    positionals: [],
  }),
  drill: pending('the drill runner', {
    usage: 'drill <dry-run|game-day> [--server URL] [--token T]',
    summary: 'run a drill through the API and show its steps live (token: --token or DRSENTINEL_TOKEN)',
    options: { ...CLIENT_OPTIONS },
    positionals: [{ name: 'mode', choices: ['dry-run', 'game-day'] }],
  }),
  config: configValidate,
  audit: auditVerify,
};
