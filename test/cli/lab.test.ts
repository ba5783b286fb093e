import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../src/cli.js';

t.test('drsentinel lab prints one "lab ready DIR" line, runs until stopped, then exits 0', async (t) => {
  const dir = join(t.testdir(), 'lab');
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const exit = main(['lab', '--state-dir', dir, '--empty'], {
    stdout: { write: (s: string) => ((stdout += s), onReady()) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    signal: controller.signal,
  });
  t.teardown(() => {
    controller.abort();
    return exit;
  });

  const early = await Promise.race([ready.then(() => undefined), exit]);
  if (early !== undefined) return t.fail(`lab exited before it was ready, with ${early}: ${stderr}`);
  t.match(stdout, /^lab ready \S+\n$/, 'exactly one line on stdout');
  t.ok(existsSync(join(dir, 'endpoints.json')), 'endpoints.json written');
  t.ok(existsSync(join(dir, 'drsentinel.yaml')), 'drsentinel.yaml written');

  controller.abort();
  t.equal(await exit, 0);
  t.match(stdout, /^lab ready \S+\n$/, 'still one line after stopping');
});
