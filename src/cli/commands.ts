/**
 * Every `drsentinel` command, by its first word, with the usage line of design.md.
 */
import { auditVerify } from './audit-verify.js';
import { checkCommand } from './check.js';
import type { Command } from './command.js';
import { activateCommand, decideCommand, drillCommand, rollbackCommand } from './runs.js';
import { configValidate } from './config-validate.js';
import { labCommand } from './lab.js';
import { reportMonthlyCommand } from './report.js';
import { serveCommand } from './serve.js';
import { syncCommand } from './sync.js';

export const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  lab: labCommand,
  sync: syncCommand,
  check: checkCommand,
  report: reportMonthlyCommand,
  activate: activateCommand,
  rollback: rollbackCommand,
  drill: drillCommand,
  decide: decideCommand,
  config: configValidate,
  audit: auditVerify,
};
