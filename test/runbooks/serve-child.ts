/**
 * The service in a process of its own, for the test that kills it: prints one JSON line
 * `{ "url": … }` once it listens. Usage: node <ts loader> serve-child.ts CONFIG_FILE
 */
import { serve } from '../../src/server.js';

const [configFile] = process.argv.slice(2);
if (!configFile) throw new Error('usage: serve-child.ts CONFIG_FILE');
const running = await serve({
  configFile,
  env: { ...process.env, DRSENTINEL__SERVICE__PORT: '0', DRSENTINEL__SERVICE__LOG_LEVEL: process.env.DRSENTINEL__SERVICE__LOG_LEVEL ?? 'silent' },
  print: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
await running.done;
