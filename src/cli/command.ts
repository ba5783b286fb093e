/**
 * What a CLI command is: its usage line, its options (node:util parseArgs), the positional
 * words it accepts, and what it runs. Each command lives in its own entry of commands.ts.
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Output {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  /** Stops long-running commands (serve, lab); without it SIGINT / SIGTERM do. */
  signal?: AbortSignal;
}

export interface Positional {
  name: string;
  choices?: readonly string[];
  optional?: boolean;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandArgs {
  values: OptionValues;
  /** By the names of the command's positionals. */
  words: Record<string, string | undefined>;
}

export interface Command {
  /** e.g. `sync <site|uploads|metadata|all> [--reverse] [--config FILE] [--json]` */
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Allowed values of string options, e.g. `{ format: ['html', 'md', 'json'] }`. */
  optionChoices?: Record<string, readonly string[]>;
  positionals: Positional[];
  run(args: CommandArgs, io: CliIo): Promise<number>;
}

export const CONFIG_OPTION = { config: { type: 'string' } } as const;
export const JSON_OPTION = { json: { type: 'boolean' } } as const;
export const CLIENT_OPTIONS = { server: { type: 'string' }, token: { type: 'string' } } as const;

export const NO_CONFIG_MESSAGE =
  'no config: pass --config FILE or set DRSENTINEL_CONFIG (or run `drsentinel lab` and use .lab/drsentinel.yaml)';

/** --config, else DRSENTINEL_CONFIG, else a usage error. */
export function configFileOf(values: OptionValues, env: NodeJS.ProcessEnv): string {
  const file = (values.config as string | undefined) ?? env.DRSENTINEL_CONFIG;
  if (!file) throw new UsageError(NO_CONFIG_MESSAGE);
  return file;
}

export function line(out: Output, text: string): void {
  out.write(`${text}\n`);
}
