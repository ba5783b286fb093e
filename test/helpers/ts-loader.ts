/**
 * The arguments that let a child `node` process run TypeScript the way the suite itself does
 * (package.json, tap.node-arg): for tests that start a second process on purpose.
 */
export const TS_LOADER: readonly string[] = ['--import=tsx'];
