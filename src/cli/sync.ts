/**
 * `drsentinel sync <flow|all>`: runs the flows now, in this process, against the configured
 * clouds, recording the runs in the same store the service reads. A progress line on a
 * terminal; one JSON document with --json. Exit 0 when every run succeeded, else 1.
 */
import { buildAdapters } from '../adapters/index.js';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { systemClock } from '../core/clock.js';
import { createMetrics } from '../metrics.js';
import { storeFile } from '../paths.js';
import { onTermination } from '../shutdown.js';
import { openStore } from '../store/index.js';
import type { SyncFlow, SyncRunRecord } from '../store/types.js';
import { FLOWS, SyncService } from '../sync/service.js';
import { CONFIG_OPTION, EXIT, JSON_OPTION, configFileOf, line, type CliIo, type Command, type Output } from './command.js';

const MiB = 1024 * 1024;

function describe(p: Record<string, unknown> | undefined): string {
  if (!p) return 'starting';
  const parts = [String(p.phase ?? '')];
  if (typeof p.seen === 'number') parts.push(`${p.seen} seen, ${p.copied} copied, ${p.unchanged} unchanged`);
  if (typeof p.records === 'number') parts.push(`${p.records} records, ${p.written} written`);
  if (typeof p.copiedBytes === 'number') parts.push(`${(p.copiedBytes / MiB).toFixed(1)} MiB at ${((p.bytesPerSecond as number) / MiB).toFixed(1)} MiB/s`);
  if (typeof p.etaSeconds === 'number') parts.push(`ETA ${p.etaSeconds} s`);
  if (Number(p.failed) > 0 || Number(p.quarantined) > 0) parts.push(`${Number(p.failed ?? 0) + Number(p.quarantined ?? 0)} failed`);
  return parts.filter(Boolean).join(', ');
}

function outcomeLine(run: SyncRunRecord): string {
  const s = run.summary as { verification?: { reason: string }; error?: string; failureClass?: string; durationMs?: number };
  const why = s.verification?.reason ?? s.error ?? '';
  const cls = s.failureClass ? ` [${s.failureClass}]` : '';
  return `${run.flow}${run.reverse ? ' (reverse)' : ''}: ${run.status}${cls} in ${((s.durationMs ?? 0) / 1000).toFixed(1)} s — ${why}`;
}

async function follow(service: SyncService, runs: SyncRunRecord[], stderr: Output & { isTTY?: boolean }): Promise<SyncRunRecord[]> {
  const tty = Boolean(stderr.isTTY);
  const timer = tty
    ? setInterval(() => {
        const text = runs.map((r) => `${r.flow}: ${describe(service.view(r.id).progress)}`).join(' | ');
        stderr.write(`\r\x1b[2K${text.slice(0, 200)}`);
      }, 250)
    : undefined;
  try {
    return await Promise.all(runs.map((r) => service.wait(r.id)));
  } finally {
    if (timer) {
      clearInterval(timer);
      stderr.write('\r\x1b[2K');
    }
  }
}

export const syncCommand: Command = {
  usage: 'sync <site|uploads|metadata|all> [--reverse] [--since ISO] [--config FILE] [--json]',
  summary: 'copy and verify one flow (or all) from AWS to Azure, or back with --reverse',
  options: { reverse: { type: 'boolean' }, since: { type: 'string' }, ...CONFIG_OPTION, ...JSON_OPTION },
  positionals: [{ name: 'flow', choices: ['site', 'uploads', 'metadata', 'all'] }],
  async run({ values, words }, io: CliIo) {
    const since = values.since === undefined ? undefined : new Date(String(values.since));
    if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since must be a date and time (ISO 8601), got "${values.since}"`);
    const { config } = loadConfig(configFileOf(values, io.env), io.env);
    const store = openStore(storeFile(config));
    const adapters = buildAdapters(config, io.env);
    const log = (_level: string, msg: string) => line(io.stderr, msg);
    const service = new SyncService({ config, adapters, store, metrics: createMetrics(), clock: systemClock, log });
    // Ctrl-C ends the runs as "interrupted" (not failed): the next run converges.
    const termination = io.signal ? undefined : onTermination(() => line(io.stderr, 'still stopping the sync…'));
    const stopSignal = io.signal ?? termination!.signal;
    const stop = () => void service.close();
    stopSignal.addEventListener('abort', stop, { once: true });
    try {
      const flows: SyncFlow[] = words.flow === 'all' ? [...FLOWS] : [words.flow as SyncFlow];
      const started = service.startMany(flows, { reverse: Boolean(values.reverse), since });
      const runs = await follow(service, started, io.stderr);
      if (values.json) line(io.stdout, JSON.stringify(runs.length === 1 ? runs[0] : { runs }, null, 2));
      else for (const run of runs) line(io.stdout, outcomeLine(run));
      return runs.every((r) => r.status === 'succeeded') ? EXIT.ok : EXIT.failed;
    } finally {
      stopSignal.removeEventListener('abort', stop);
      termination?.dispose();
      adapters.close();
      store.close();
    }
  },
};
