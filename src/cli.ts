#!/usr/bin/env node
/**
 * The `drsentinel` command. `main` takes its arguments and streams as parameters so tests
 * call it directly; exit codes: 0 success, 1 a check or verification failed, 2 usage or
 * config error (design.md).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COMMANDS } from './cli/commands.js';
import { EXIT, line, type CliIo, type Command, type CommandArgs } from './cli/command.js';
import { ConfigError } from './config/problems.js';
import { DomainError, NotAvailableError, UsageError } from './core/errors.js';
import { describeError } from './core/result.js';
import { boundHeapGrowth } from './heap.js';
import { VERSION } from './core/version.js';

/** The words of a usage line before its first argument: `config validate`, `sync`. */
function synopsis(usage: string): string {
  const words = usage.split(' ');
  const firstArg = words.findIndex((w) => /^[<[-]/.test(w));
  return words.slice(0, firstArg === -1 ? undefined : firstArg).join(' ');
}

function overview(): string {
  const names = Object.values(COMMANDS).map((c) => synopsis(c.usage));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = Object.values(COMMANDS).map((c, i) => `  ${names[i]!.padEnd(width)}${c.summary}`);
  return ['usage: drsentinel <command> [options]', '', 'commands:', ...lines, '', 'drsentinel <command> --help shows the options of one command.'].join('\n');
}

function commandHelp(command: Command): string {
  return `usage: drsentinel ${command.usage}\n\n${command.summary}`;
}

/** Parses one command's arguments; every mistake is a UsageError. */
function parseCommand(command: Command, args: string[]): CommandArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util words its errors for scripts ("…place it at the end after '--'"); say it briefly.
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : (err as Error).message);
  }
  if (parsed.values.help) return 'help';

  const { positionals } = parsed;
  const required = command.positionals.filter((p) => !p.optional).length;
  if (positionals.length < required) throw new UsageError(`missing <${command.positionals[positionals.length]!.name}>`);
  if (positionals.length > command.positionals.length) throw new UsageError(`unexpected argument "${positionals[command.positionals.length]}"`);
  const words: Record<string, string | undefined> = {};
  command.positionals.forEach((p, i) => {
    const word = positionals[i];
    if (word !== undefined && p.choices && !p.choices.includes(word)) throw new UsageError(`<${p.name}> must be one of ${p.choices.join(', ')}, not "${word}"`);
    words[p.name] = word;
  });
  const values = parsed.values as CommandArgs['values'];
  for (const [option, choices] of Object.entries(command.optionChoices ?? {})) {
    const value = values[option];
    if (typeof value === 'string' && !choices.includes(value)) throw new UsageError(`--${option} must be one of ${choices.join(', ')}, not "${value}"`);
  }
  return { values, words };
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    line(io.stdout, overview());
    return EXIT.ok;
  }
  if (name === '--version') {
    line(io.stdout, VERSION);
    return EXIT.ok;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    line(io.stderr, `${name === undefined ? 'drsentinel: no command given' : `drsentinel: unknown command "${name}"`}\n\n${overview()}`);
    return EXIT.usage;
  }

  const prefix = `drsentinel ${synopsis(command.usage)}`;
  try {
    const args = parseCommand(command, rest);
    if (args === 'help') {
      line(io.stdout, commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof NotAvailableError) {
      line(io.stderr, `${prefix}: ${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      // One problem per line, each naming its file and field.
      line(io.stderr, `${prefix}: invalid config (${err.problems.length} ${err.problems.length === 1 ? 'problem' : 'problems'})\n${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof UsageError) {
      line(io.stderr, `${prefix}: ${err.message}${err.showUsage ? `\n\n${commandHelp(command)}` : ''}`);
      return EXIT.usage;
    }
    line(io.stderr, `${prefix}: ${err instanceof DomainError ? err.message : describeError(err)}`);
    return EXIT.failed;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * How long a finished command lets the process drain before it exits. Requests a stop (Ctrl-C)
 * abandoned can keep an SDK's timers alive for up to the request timeout; the command has
 * answered by then, and a person waiting at the prompt should not wait for them.
 */
const EXIT_GRACE_MS = 2000;

if (isEntryPoint()) {
  boundHeapGrowth();
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}
