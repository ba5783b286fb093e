import t from 'tap';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../../src/config/problems.js';
import { UsageError } from '../../src/core/errors.js';

const dir = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixture = (name: string) => join(dir, name);
const env = {
  DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_AWS_KEY_ID: 'AKIDEXAMPLE', DRS_TEST_AWS_SECRET: 'aws-secret-value', DRS_TEST_COSMOS_KEY: 'cosmos-key-value',
  DRS_TEST_TLS_CERT: 'tls-cert-pem', DRS_TEST_TLS_KEY: 'tls-key-pem',
};

function problemsOf(file: string, environment: NodeJS.ProcessEnv = env): ConfigProblem[] {
  try {
    loadConfig(file, environment);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

t.test('a complete valid config loads, with relative paths resolved against its folder', async (t) => {
  const { file, config } = loadConfig(fixture('valid.yaml'), env);
  t.equal(file, fixture('valid.yaml'));
  t.equal(config.service.stateDir, join(dir, 'state'));
  t.same(config.azure.cosmos.key, { file: join(dir, 'secrets/cosmos.key') });
  t.same(config.azure.blob.connectionString, { env: 'DRS_TEST_BLOB' });
  t.equal(config.auth.tokens.length, 2);
  t.equal(config.azure.blob.containers.site, '$web');
});

t.test('each invalid fixture gives exactly its problems', async (t) => {
  const cases: Record<string, Array<[path: string, message: string]>> = {
    'bad-port.yaml': [['/service/port', 'must be an integer between 0 and 65535']],
    'unknown-field.yaml': [['/sync/rpoHour', 'unknown field']],
    'literal-secret.yaml': [['/azure/blob/connectionString', 'must be { env: NAME } or { file: PATH } — secrets are never written in the config']],
    'missing-bucket.yaml': [['/aws/s3/buckets/uploads', 'required']],
    'bad-ratio-order.yaml': [['/activation/ctoRatio', 'must not be greater than proceedRatio (0.95)']],
    'bad-url.yaml': [['/azure/blob/websiteUrl', 'must be an http(s) URL']],
    'bad-time.yaml': [['/sync/dailyAt', 'must be a time of day HH:MM (UTC, 00:00–23:59)']],
    'same-containers.yaml': [['/azure/blob/containers/staging', 'must differ from containers.uploads']],
    'duplicate-token.yaml': [['/auth/tokens/1/sha256', "is the same as token 0's: every token must be distinct"]],
    'duplicate-token-name.yaml': [['/auth/tokens/1/name', '"alice" is token 0\'s name too: every token holder needs a name of their own']],
    'yaml-syntax.yaml': [['', 'YAML syntax error at 48:1: All mapping items must start at the same column']],
    'tls-cert-only.yaml': [['/service/tls/key', 'required']],
    'tls-key-only.yaml': [['/service/tls/cert', 'required']],
    'tls-empty.yaml': [
      ['/service/tls/cert', 'required'],
      ['/service/tls/key', 'required'],
    ],
    'tls-literal-pem.yaml': [['/service/tls/cert', 'must be { env: NAME } or { file: PATH } — secrets are never written in the config']],
    'tls-missing-key-file.yaml': [['/service/tls/key', `file ${join(dir, 'secrets/no-such-tls.key')} cannot be read: ENOENT`]],
    'three-mistakes.yaml': [
      ['/service/port', 'must be an integer between 0 and 65535'],
      ['/checks/probeEverySeconds', 'unknown field'],
      ['/azure/cosmos/key', `file ${join(dir, 'secrets/missing.key')} cannot be read: ENOENT`],
    ],
  };
  for (const [name, expected] of Object.entries(cases)) {
    const file = fixture(name);
    t.same(problemsOf(file), expected.map(([path, message]) => ({ file, path, message })), name);
  }
});

t.test('the error message lists every problem, one per line, as FILE: /path: message', async (t) => {
  const file = fixture('three-mistakes.yaml');
  const err = t.throws(() => loadConfig(file, env)) as ConfigError;
  t.ok(err instanceof UsageError, 'a config error is a usage error (exit code 2)');
  t.equal(err.message.split('\n').length, 3);
  t.equal(err.message.split('\n')[0], `${file}: /service/port: must be an integer between 0 and 65535`);
});

t.test('a missing file is named', async (t) => {
  const file = fixture('no-such.yaml');
  t.same(problemsOf(file), [{ file, path: '', message: 'file cannot be read: ENOENT' }]);
});

t.test('a secret whose variable is not set is a problem at its field', async (t) => {
  const { DRS_TEST_BLOB: _unset, ...partial } = env;
  t.same(problemsOf(fixture('valid.yaml'), partial), [
    { file: fixture('valid.yaml'), path: '/azure/blob/connectionString', message: 'environment variable DRS_TEST_BLOB is not set' },
  ]);
});

t.test('defaults are the runbook values', async (t) => {
  const { config } = loadConfig(fixture('minimal.yaml'), env);
  t.match(config.sync, { dailyAt: '03:00', rpoHours: 24, uploadsSampleSize: 10, metadataSampleRatio: 0.1 });
  t.match(config.activation, { proceedRatio: 0.95, ctoRatio: 0.9, cosmosActiveRu: 4000, vmssActive: 2, vmssStandby: 0 });
  t.match(config.checks, { certificateMinDays: 30, maxTtlSeconds: 300, minResolvers: 3, monthlyAt: '09:00' });
  t.match(config.service, { host: '127.0.0.1', port: 8080, stateDir: join(dir, '.state'), logLevel: 'info' });
  t.same(config.auth.tokens, []);
  t.same(config.dns.resolvers, []);
});

t.test('service.tls takes the certificate and the key as secret references; absent, the service speaks plain HTTP', async (t) => {
  t.same(loadConfig(fixture('tls.yaml'), env).config.service.tls, { cert: { env: 'DRS_TEST_TLS_CERT' }, key: { env: 'DRS_TEST_TLS_KEY' } });
  t.equal(loadConfig(fixture('minimal.yaml'), env).config.service.tls, undefined);
});

t.test('environment overrides', async (t) => {
  t.test('set fields by their schema type, snake case matching camel case', async (t) => {
    const { config } = loadConfig(fixture('valid.yaml'), {
      ...env,
      DRSENTINEL__SERVICE__PORT: '9090',
      DRSENTINEL__SYNC__RPO_HOURS: '12',
      DRSENTINEL__SERVICE__LOG_LEVEL: 'debug',
      DRSENTINEL__AWS__S3__FORCE_PATH_STYLE: 'false',
      DRSENTINEL__ACTIVATION__CTO_RATIO: '0.8',
      DRSENTINEL__DNS__RESOLVERS: '["9.9.9.9", "1.1.1.1", "8.8.8.8"]',
      DRSENTINEL__AZURE__COSMOS__KEY: '{"env":"DRS_TEST_COSMOS_KEY"}',
      DRSENTINEL__AZURE__ARM__SUBSCRIPTION_ID: 'sub-1',
      DRSENTINEL__AZURE__ARM__RESOURCE_GROUP: 'dr',
      DRSENTINEL__AZURE__ARM__ENDPOINT: 'https://127.0.0.1:8443',
      DRSENTINEL__AZURE__ARM__CA: 'ca.pem',
    });
    t.equal(config.service.port, 9090);
    t.equal(config.sync.rpoHours, 12);
    t.equal(config.service.logLevel, 'debug');
    t.equal(config.aws.s3.forcePathStyle, false);
    t.equal(config.activation.ctoRatio, 0.8);
    t.same(config.dns.resolvers, ['9.9.9.9', '1.1.1.1', '8.8.8.8']);
    t.same(config.azure.cosmos.key, { env: 'DRS_TEST_COSMOS_KEY' });
    t.same(config.azure.arm, { subscriptionId: 'sub-1', resourceGroup: 'dr', endpoint: 'https://127.0.0.1:8443', ca: join(dir, 'ca.pem'), pollIntervalMs: 2000 });
  });

  t.test('an unknown path names the variable', async (t) => {
    t.same(problemsOf(fixture('valid.yaml'), { ...env, DRSENTINEL__SERVICE__PROT: '9090', DRSENTINEL__NOPE: 'x' }), [
      { file: '$DRSENTINEL__NOPE', path: '/nope', message: 'unknown field: no config setting has this name' },
      { file: '$DRSENTINEL__SERVICE__PROT', path: '/service/prot', message: 'unknown field: no config setting has this name' },
    ]);
  });

  t.test('a value of the wrong type or range blames the variable', async (t) => {
    t.same(problemsOf(fixture('valid.yaml'), { ...env, DRSENTINEL__SERVICE__PORT: 'ninety', DRSENTINEL__SYNC__RPO_HOURS: '0', DRSENTINEL__AWS__S3__FORCE_PATH_STYLE: 'maybe' }), [
      { file: '$DRSENTINEL__AWS__S3__FORCE_PATH_STYLE', path: '/aws/s3/forcePathStyle', message: 'must be true or false' },
      { file: '$DRSENTINEL__SERVICE__PORT', path: '/service/port', message: 'must be an integer' },
      { file: '$DRSENTINEL__SYNC__RPO_HOURS', path: '/sync/rpoHours', message: 'must be an integer ≥ 1' },
    ]);
  });
});

t.test('no secret value ever appears in a config error', async (t) => {
  const literal = t.throws(() => loadConfig(fixture('literal-secret.yaml'), env)) as Error;
  t.notMatch(literal.message, 'TOPSECRETVALUE');
  const overridden = t.throws(() => loadConfig(fixture('valid.yaml'), { ...env, DRSENTINEL__AZURE__COSMOS__KEY: 'AccountKey=TOPSECRETVALUE==' })) as Error;
  t.match(overridden.message, 'DRSENTINEL__AZURE__COSMOS__KEY');
  t.notMatch(overridden.message, 'TOPSECRETVALUE');
  const empty = t.throws(() => loadConfig(fixture('three-mistakes.yaml'), { ...env, DRS_TEST_AWS_SECRET: ' ' })) as Error;
  for (const value of Object.values(env)) t.notMatch(empty.message, value);
  t.match(empty.message, 'environment variable DRS_TEST_AWS_SECRET is empty');
});
