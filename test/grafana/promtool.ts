import { spawnSync } from 'node:child_process';

export interface PromtoolRun {
  status: number | null;
  output: string;
}

/** Runs promtool; a missing promtool fails the test (CI installs it), it never skips it. */
export function promtool(args: string[], options: { cwd?: string; input?: string } = {}): PromtoolRun {
  const run = spawnSync('promtool', args, { ...options, encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('promtool is not installed: apt-get install prometheus (Debian ships promtool in it)');
  }
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
