import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { readSecret, redact } from '../../src/config/secrets.js';

t.test('readSecret reads a variable or a file, trimmed', async (t) => {
  t.equal(readSecret({ env: 'S' }, { S: '  v4lue\n' }), 'v4lue');
  const dir = t.testdir({ key: 'file-value\n' });
  t.equal(readSecret({ file: join(dir, 'key') }, {}), 'file-value');
});

t.test('readSecret errors name the variable or file, never the value', async (t) => {
  t.throws(() => readSecret({ env: 'MISSING' }, {}), { message: 'environment variable MISSING is not set' });
  t.throws(() => readSecret({ env: 'BLANK' }, { BLANK: '  ' }), { message: 'environment variable BLANK is empty' });
  const dir = t.testdir({ empty: '\n' });
  t.throws(() => readSecret({ file: join(dir, 'nope') }, {}), { message: `file ${join(dir, 'nope')} cannot be read: ENOENT` });
  t.throws(() => readSecret({ file: join(dir, 'empty') }, {}), { message: `file ${join(dir, 'empty')} is empty` });
  t.throws(() => readSecret({ file: dir }, {}), { message: `file ${dir} cannot be read: EISDIR` });
  writeFileSync(join(dir, 'ok'), 'x');
  t.equal(readSecret({ file: join(dir, 'ok') }, {}), 'x');
});

t.test('redact keeps refs and shortens token hashes', async (t) => {
  const file = fileURLToPath(new URL('../fixtures/config/valid.yaml', import.meta.url));
  const { config } = loadConfig(file, { DRS_TEST_BLOB: 'b', DRS_TEST_AWS_KEY_ID: 'k', DRS_TEST_AWS_SECRET: 's' });
  const shown = redact(config) as typeof config;
  t.same(shown.auth.tokens.map((x) => x.sha256), ['sha256:2c26…', 'sha256:fcde…']);
  t.same(shown.azure.blob.connectionString, { env: 'DRS_TEST_BLOB' });
  t.equal(config.auth.tokens[0]!.sha256.length, 64, 'the config itself is untouched');
  t.notMatch(JSON.stringify(shown), config.auth.tokens[0]!.sha256);
});
