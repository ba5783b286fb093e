/**
 * Secrets are referenced, never written in the config: `{ env: NAME }` or `{ file: PATH }`.
 * Errors say which variable or file is at fault and never what it contains.
 */
import { readFileSync } from 'node:fs';
import type { Config, SecretRef } from './schema.js';

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/** The secret's value, trimmed. File paths are used as given (the loader made them absolute). */
export function readSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) throw new SecretError(`environment variable ${ref.env} is not set`);
    if (value.trim() === '') throw new SecretError(`environment variable ${ref.env} is empty`);
    return value.trim();
  }
  let contents: string;
  try {
    contents = readFileSync(ref.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SecretError(`file ${ref.file} cannot be read: ${code}`);
  }
  if (contents.trim() === '') throw new SecretError(`file ${ref.file} is empty`);
  return contents.trim();
}

/** Long enough to tell two tokens apart in a listing, far too short to matter to an attacker. */
function shortHash(hex: string): string {
  return `sha256:${hex.slice(0, 4)}…`;
}

/**
 * A copy of the config that is safe to print. Secret references stay as they are (they
 * are names, not values); token hashes are shortened so a listing cannot be replayed
 * against another deployment's hash list.
 */
export function redact(config: Config): unknown {
  const copy = structuredClone(config);
  return {
    ...copy,
    auth: { ...copy.auth, tokens: copy.auth.tokens.map((t) => ({ ...t, sha256: shortHash(t.sha256) })) },
  };
}
