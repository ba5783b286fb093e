/**
 * Runs a lab in its own process, as `drsentinel lab` does, for the tests that kill it:
 * prints one JSON line `{ "pids": [...] }` once the lab is ready, stops it on SIGTERM/SIGINT.
 * Usage: node <ts loader> lab-child.ts STATE_DIR [empty]
 */
import { startLab } from '../../lab/index.js';

const [stateDir, mode] = process.argv.slice(2);
if (!stateDir) throw new Error('usage: lab-child.ts STATE_DIR [empty]');
const began = Date.now();
const lab = await startLab({ stateDir, empty: mode === 'empty', log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify({ pids: lab.children.map((c) => c.pid), startMs: Date.now() - began })}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    lab.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
