/** A valid config in a temporary folder, from the config engineer's fixture, with its secrets' env. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/config');
export const FIXTURE_ENV = { DRS_TEST_AWS_KEY_ID: 'AKIDTEST', DRS_TEST_AWS_SECRET: 'secret-test', DRS_TEST_BLOB: 'UseDevelopmentStorage=true' };

/** Writes `valid.yaml` into `dir` with the state directory inside it and the given port. */
export function writeValidConfig(dir: string, port = 0): string {
  const text = readFileSync(join(FIXTURES, 'valid.yaml'), 'utf8')
    .replace(/^  port: 8080$/m, `  port: ${port}`)
    .replace('{ file: secrets/cosmos.key }', `{ file: ${JSON.stringify(join(FIXTURES, 'secrets/cosmos.key'))} }`);
  const file = join(dir, 'drsentinel.yaml');
  writeFileSync(file, text);
  return file;
}
