/**
 * Another drsentinel process on a state directory, for sqlite.test.ts: opens the store at
 * argv[2] as argv[3] and says `held`, then keeps it until its stdin closes or it is killed;
 * or says `refused: <error>` and exits 3. Without arguments (tap running the folder) it does
 * nothing.
 */
import { openStore } from '../../src/store/index.js';

function hold(file: string, writer: string) {
  try {
    const store = openStore(file, { writer });
    process.stdout.write('held\n');
    process.stdin.on('end', () => void store.close().then(() => process.exit(0)));
    process.stdin.resume();
  } catch (err) {
    process.stdout.write(`refused: ${(err as Error).name}: ${(err as Error).message}\n`);
    process.exitCode = 3;
  }
}

const [file, writer] = process.argv.slice(2);
if (file && writer) hold(file, writer);
