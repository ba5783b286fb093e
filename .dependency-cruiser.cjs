/**
 * The import direction of design.md, checked in CI (`npm run lint:deps`):
 *
 *   core ← config ← adapters ← {sync, probes} ← checks ← runbooks ← reporting ← routes / cli
 *
 * with `store` and `metrics` as sinks that import only core and config, no circle between
 * files or folders, and the lab twin reachable only from the CLI's lab path, bench and tests.
 * A layer may import its own and every lower layer, never a higher one.
 */
const LAYERS = [
  { name: 'core', path: ['^src/core/', '^src/log\\.ts$', '^src/heap\\.ts$'] },
  { name: 'config', path: ['^src/config/'] },
  { name: 'sinks (store, metrics)', path: ['^src/store/', '^src/metrics/'] },
  { name: 'adapters', path: ['^src/adapters/'] },
  { name: 'engines (sync, probes, scheduler, ha)', path: ['^src/sync/', '^probes/', '^src/scheduler/', '^src/ha/'] },
  { name: 'checks', path: ['^src/checks/'] },
  { name: 'runbooks', path: ['^src/runbooks/'] },
  { name: 'reporting (reporting, reports, alerting)', path: ['^src/reporting/', '^reports/', '^src/alerting/'] },
  { name: 'front (routes, cli, app, server)', path: ['^src/routes/', '^src/cli/', '^src/cli\\.ts$', '^src/app\\.ts$', '^src/server\\.ts$'] },
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.name.split(' ')[0]}`,
  comment: `${layer.name} may not import a higher layer (${LAYERS.slice(i + 1).map((l) => l.name.split(' ')[0]).join(', ')})`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(i + 1).flatMap((l) => l.path) },
}));

/** Siblings of one layer that stay apart. */
const apart = (a, b) => [
  { name: `no-${a.name}-to-${b.name}`, comment: `${a.name} and ${b.name} are siblings: neither imports the other`, severity: 'error', from: { path: a.path }, to: { path: b.path } },
  { name: `no-${b.name}-to-${a.name}`, comment: `${a.name} and ${b.name} are siblings: neither imports the other`, severity: 'error', from: { path: b.path }, to: { path: a.path } },
];

module.exports = {
  forbidden: [
    ...upward,
    ...apart({ name: 'sync', path: '^src/sync/' }, { name: 'probes', path: '^probes/' }),
    ...apart({ name: 'store', path: '^src/store/' }, { name: 'metrics', path: '^src/metrics/' }),
    {
      name: 'no-engine-imports-routes',
      comment: 'the HTTP layer sits on top: nothing below it imports routes',
      severity: 'error',
      from: { pathNot: ['^src/routes/', '^src/app\\.ts$', '^src/server\\.ts$', '^test/'] },
      to: { path: '^src/routes/' },
    },
    {
      name: 'no-circular',
      comment: 'no circle between files',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'no circle between folders',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lab-only-from-cli-bench-tests',
      comment: 'the lab twin is a development tool: only the CLI lab path, bench and tests reach it',
      severity: 'error',
      from: { path: '^(src|probes|reports)/', pathNot: ['^src/cli/lab-loader\\.ts$', '^src/cli/lab\\.ts$'] },
      to: { path: '^lab/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
