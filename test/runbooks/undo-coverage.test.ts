/**
 * Every act of the activation and the rollback either has an undo or says why it cannot be
 * undone; the steps that must hold cannot be skipped. Read from the runbooks themselves, so a
 * new act without either fails here.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { activationSteps } from '../../src/runbooks/activation.js';
import type { RunbookDeps } from '../../src/runbooks/deps.js';
import { rollbackSteps } from '../../src/runbooks/rollback.js';

const { config } = loadConfig(fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url)), { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'x' });
// Building the steps reads only the config: anything else reached here is a mistake.
const unreachable = new Proxy({}, { get: (_, name) => { throw new Error(`${String(name)} was reached while building the steps`); } });
const deps = { ...(unreachable as object), config } as unknown as RunbookDeps;
const runbooks = { activation: activationSteps(deps), rollback: rollbackSteps(deps) };

for (const [name, steps] of Object.entries(runbooks)) {
  t.test(`${name}: every act can be undone, or says why not`, async (t) => {
    for (const step of steps.filter((s) => s.act)) {
      t.ok(step.undo || (step.irreversible && step.irreversible.length > 20), `${step.id}: ${step.undo ? 'has an undo' : `irreversible — ${step.irreversible}`}`);
    }
  });
}

t.test('the integrity decision cannot be skipped at its failure gate', async (t) => {
  t.equal(runbooks.activation.find((s) => s.id === 'integrity-gate')?.skippable, false);
});

t.test('the gate before the rollback\'s irreversible writes says so', async (t) => {
  const gate = runbooks.rollback.find((s) => s.id === 'cto-approval')?.gate?.({} as never);
  t.match(gate?.question, /writes into production, and that cannot be undone/);
});
