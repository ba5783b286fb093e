import { UsageError } from '../core/errors.js';

/** One thing wrong with the config, where it is: the file (or variable) and the field. */
export interface ConfigProblem {
  /** The config file, or `$VARIABLE` when an environment override set the value. */
  file: string;
  /** JSON pointer of the field; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

export class ConfigError extends UsageError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}
