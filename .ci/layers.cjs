/**
 * The import direction of design.md as dependency-cruiser rules:
 *
 *   core ← config ← adapters ← {sync, probes} ← checks ← runbooks ← reporting ← routes / cli
 *
 * with `store` and `metrics` as sinks that import only core and config, no circle between
 * files or folders, the lab twin reachable only from the CLI's lab path, bench and tests, and
 * the twins that write what the product decodes importing nothing of the product.
 * A layer may import its own and every lower layer, never a higher one.
 *
 * `root` is where the tree starts: '' for the repository, a fixture tree for the tests that
 * prove each rule can fail (test/layers.test.ts).
 */
const LAYERS = [
  { name: 'core', path: ['src/core/', 'src/log\\.ts$', 'src/heap\\.ts$'] },
  { name: 'config', path: ['src/config/'] },
  { name: 'sinks (store, metrics)', path: ['src/store/', 'src/metrics/'] },
  { name: 'adapters', path: ['src/adapters/'] },
  { name: 'engines (sync, probes, scheduler, ha)', path: ['src/sync/', 'probes/', 'src/scheduler/', 'src/ha/'] },
  { name: 'checks', path: ['src/checks/'] },
  { name: 'runbooks', path: ['src/runbooks/'] },
  { name: 'reporting (reporting, reports, alerting)', path: ['src/reporting/', 'reports/', 'src/alerting/'] },
  { name: 'front (routes, cli, app, server, engines)', path: ['src/routes/', 'src/cli/', 'src/cli\\.ts$', 'src/app\\.ts$', 'src/server\\.ts$', 'src/engines\\.ts$'] },
];

/**
 * Twins that write a published format the product reads (the DynamoDB export's DYNAMODB_JSON
 * lines and manifests, the function app's documents): written with their own code, so that a
 * bug in the product's encoders cannot hide behind the same bug in the twin.
 */
const OWN_FORMAT_TWINS = ['lab/dynamodb-export\\.', 'lab/dynamodb-front\\.', 'lab/dynamodb-wire\\.', 'lab/azure/function-host\\.'];

/** Sibling engines that stay apart: neither imports the other. */
const APART = [
  [{ name: 'sync', path: 'src/sync/' }, { name: 'probes', path: 'probes/' }],
  [{ name: 'store', path: 'src/store/' }, { name: 'metrics', path: 'src/metrics/' }],
];

function layerRules(root = '') {
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const at = (pattern) => (Array.isArray(pattern) ? pattern.map(at) : `^${escaped}${pattern}`);
  const short = (layer) => layer.name.split(' ')[0];
  const upward = LAYERS.slice(0, -1).map((layer, i) => ({
    name: `no-upward-from-${short(layer)}`,
    comment: `${layer.name} may not import a higher layer (${LAYERS.slice(i + 1).map(short).join(', ')})`,
    severity: 'error',
    from: { path: at(layer.path) },
    to: { path: at(LAYERS.slice(i + 1).flatMap((l) => l.path)) },
  }));
  const apart = APART.flatMap(([a, b]) =>
    [[a, b], [b, a]].map(([from, to]) => ({
      name: `no-${from.name}-to-${to.name}`,
      comment: `${a.name} and ${b.name} are siblings: neither imports the other`,
      severity: 'error',
      from: { path: at(from.path) },
      to: { path: at(to.path) },
    })),
  );
  return [
    ...upward,
    ...apart,
    {
      name: 'no-engine-imports-routes',
      comment: 'the HTTP layer sits on top: nothing below it imports routes',
      severity: 'error',
      from: { path: at('(src|probes|reports)/'), pathNot: at(['src/routes/', 'src/app\\.ts$', 'src/server\\.ts$']) },
      to: { path: at('src/routes/') },
    },
    { name: 'no-circular', comment: 'no circle between files', severity: 'error', from: {}, to: { circular: true } },
    { name: 'no-circular-folders', comment: 'no circle between folders', severity: 'error', scope: 'folder', from: {}, to: { circular: true } },
    {
      name: 'lab-only-from-cli-bench-tests',
      comment: 'the lab twin is a development tool: only the CLI lab path, bench and tests reach it',
      severity: 'error',
      from: { path: at('(src|probes|reports)/'), pathNot: at(['src/cli/lab-loader\\.ts$', 'src/cli/lab\\.ts$']) },
      to: { path: at('lab/') },
    },
    {
      name: 'twins-write-formats-themselves',
      comment: 'a twin that writes a format the product reads imports nothing from src/, probes/ or reports/',
      severity: 'error',
      from: { path: at(OWN_FORMAT_TWINS) },
      to: { path: at('(src|probes|reports)/') },
    },
  ];
}

module.exports = { layerRules };
