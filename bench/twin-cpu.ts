/**
 * The CPU time the lab twin itself spends while a tool runs: its emulator children (s3rver,
 * Azurite, …, read from /proc) and this process, where the S3 front and the Blob proxy run.
 * On a machine of N cores, a tool cannot finish sooner than twin CPU / N: that floor says how
 * much of a wall-time ratio the tool can still win and how much belongs to the emulators.
 */
import { readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100;

async function processCpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0; // no /proc (not Linux) or the child is gone: its share is simply not counted
  }
}

export type TwinCpuMeter = () => Promise<number>;

/** A meter of the twin's cumulative CPU milliseconds; take the difference across a run. */
export function twinCpuMeter(children: ReadonlyArray<{ pid: number }>): TwinCpuMeter {
  return async () => {
    const own = process.cpuUsage();
    const childMs = await Promise.all(children.map((c) => processCpuMs(c.pid)));
    return (own.user + own.system) / 1000 + childMs.reduce((a, b) => a + b, 0);
  };
}
