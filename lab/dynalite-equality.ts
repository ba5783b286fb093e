/**
 * DynamoDB's `=` and `<>` compare maps and lists by value ("EQ is supported for all data types,
 * including lists and maps"); dynalite compares them by object identity, so a condition naming a
 * map or a list never holds. This preload, run inside the dynalite child, evaluates those
 * comparisons by value and hands everything else to dynalite's own evaluator.
 */
const PATCH = `
import { createRequire } from 'node:module';
const db = createRequire(process.argv[1])('./db');
const tagOf = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v)[0] : undefined);
const nested = (arg) => !Array.isArray(arg) && (tagOf(arg) === 'M' || tagOf(arg) === 'L');
function same(a, b) {
  const tag = tagOf(a);
  if (tag === undefined || tag !== tagOf(b)) return false;
  if (tag === 'M') {
    const names = Object.keys(a.M);
    return names.length === Object.keys(b.M).length && names.every((n) => n in b.M && same(a.M[n], b.M[n]));
  }
  if (tag === 'L') return a.L.length === b.L.length && a.L.every((v, i) => same(v, b.L[i]));
  return db.compare('EQ', a, [b]);
}
function matches(item, expr) {
  if (expr.type === 'and') return matches(item, expr.args[0]) && matches(item, expr.args[1]);
  if (expr.type === 'or') return matches(item, expr.args[0]) || matches(item, expr.args[1]);
  if (expr.type === 'not') return !matches(item, expr.args[0]);
  const literal = (expr.type === '=' || expr.type === '<>') ? expr.args.find(nested) : undefined;
  if (!literal) return db.matchesExprFilter(item, expr);
  const other = expr.args.find((arg) => arg !== literal) ?? literal;
  return same(Array.isArray(other) ? db.mapPath(other, item) : other, literal) === (expr.type === '=');
}
function refused() {
  const err = new Error('The conditional request failed');
  err.statusCode = 400;
  err.body = { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: err.message };
  return err;
}
const checkConditional = db.checkConditional;
db.checkConditional = (data, existing) => {
  if (!data._condition) return checkConditional(data, existing);
  return matches(existing || {}, data._condition.expression) ? null : refused();
};
`;

/** NODE_OPTIONS for the dynalite child. */
export const DYNALITE_NODE_OPTIONS = `--import=data:text/javascript,${encodeURIComponent(PATCH)}`;
