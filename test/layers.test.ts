/**
 * The import rules CI enforces (.ci/layers.cjs) can fail: over a fixture tree that breaks each
 * kind of them once, each reports its break, and nothing else.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';

const ROOT = 'test/fixtures/layers/';
const { layerRules } = createRequire(import.meta.url)('../.ci/layers.cjs') as { layerRules: (root: string) => unknown[] };

t.test('each layer rule reports the fixture that breaks it, and only that', async (t) => {
  const { output } = await cruise([ROOT], { ruleSet: { forbidden: layerRules(ROOT) } as never, validate: true });
  if (typeof output === 'string') throw new Error('dependency-cruiser answered text, not a result');
  const seen = output.summary.violations
    .map((v) => `${v.rule.name}: ${v.from.replace(ROOT, '')} → ${v.to.replace(ROOT, '')}`)
    .sort();
  t.same([...new Set(seen)], [
    'lab-only-from-cli-bench-tests: src/store/keep.js → lab/twin.js',
    'no-circular-folders: src/checks → src/runbooks',
    'no-circular-folders: src/runbooks → src/checks',
    'no-circular: src/checks/check.js → src/runbooks/runbook.js',
    'no-circular: src/sync/a.js → src/sync/b.js',
    'no-engine-imports-routes: src/core/words.js → src/routes/answer.js',
    'no-probes-to-sync: probes/probe.js → src/sync/a.js',
    'no-upward-from-checks: src/checks/check.js → src/runbooks/runbook.js',
    'no-upward-from-core: src/core/words.js → src/routes/answer.js',
    'no-upward-from-sinks: src/metrics/registry.js → src/checks/check.js',
    'twins-write-formats-themselves: lab/azure/function-host.js → src/core/words.js',
  ]);
});
