/**
 * P3's transform figures measured in a process of their own, as the issue asks ("one core"):
 * in the bench process the lab twin's servers and timers share the CPU clock that
 * `process.cpuUsage` reads, which cost the figures a third. Prints TransformRate as one line.
 */
import { transformRate } from './metadata.js';

const [lines, budgetMs] = process.argv.slice(2).map(Number);
if (!lines || !budgetMs) {
  process.stderr.write('usage: transform-child <lines> <budget-ms>\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(transformRate(lines, budgetMs))}\n`);
