/**
 * Commands whose capability has not landed yet. They accept their real arguments (so usage
 * errors and --help already behave) and then say which capability is missing: nothing fake.
 */
import { NotAvailableError } from '../core/errors.js';
import type { Command } from './command.js';

export function pending(capability: string, command: Omit<Command, 'run'>): Command {
  return {
    ...command,
    async run() {
      throw new NotAvailableError(capability);
    },
  };
}
