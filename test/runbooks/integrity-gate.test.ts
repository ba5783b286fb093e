import t from 'tap';
import { integrityGate } from '../../src/runbooks/activation.js';
import { pass, type Result } from '../../src/core/result.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { Value } from '@sinclair/typebox/value';

const config = { activation: Value.Default(ConfigSchema.properties.activation, {}) } as Pick<Config, 'activation'>;
const after = (ratio: number) => ({
  results: new Map<string, Result>([['final-sync', { ...pass('synced', {}, { ratio }), startedAt: '', durationMs: 0 }]]),
});

t.test('R7: the integrity decides who may let the activation go on', async (t) => {
  t.match(integrityGate({ config: config as Config }, after(0.97)), { id: 'integrity', role: 'tech-lead', question: /integrity 97.0 % \(≥ 95 %\)/ });
  t.match(integrityGate({ config: config as Config }, after(0.95)), { role: 'tech-lead' }, '95 % exactly is enough');
  t.match(integrityGate({ config: config as Config }, after(0.92)), { role: 'tech-lead', question: /between 90 and 95 %: as Incident Commander/ });
  t.match(integrityGate({ config: config as Config }, after(0.9)), { role: 'tech-lead' }, '90 % exactly is still the Incident Commander\'s');
  t.match(integrityGate({ config: config as Config }, after(0.85)), { role: 'cto', question: /below 90 %: accept the residual loss/ });
  t.match(integrityGate({ config: config as Config }, { results: new Map() }), { role: 'cto', question: /no integrity was measured/ }, 'no measure at all is the CTO\'s call');
  t.equal(integrityGate({ config: config as Config }, { results: new Map(), dryRun: true }), undefined, 'a dry-run, which runs no final sync, names no one');
});
