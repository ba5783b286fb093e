/** dependency-cruiser's configuration: the rules are in .ci/layers.cjs. */
const { layerRules } = require('./.ci/layers.cjs');

module.exports = {
  forbidden: layerRules(),
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
