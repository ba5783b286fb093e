/**
 * `drsentinel sync <flow|all>`: runs the flows now, in this process, against the configured
 * clouds, recording the runs in the same store the service reads. A status line per flow,
 * redrawn on a terminal; one JSON document with --json. Exit 0 when every run succeeded, else 1.
 */
import { userInfo } from 'node:os';
import { loadConfig } from '../config/load.js';
import { ConflictError, UsageError } from '../core/errors.js';
import { describeError } from '../core/result.js';
import { systemClock } from '../core/clock.js';
import { onTermination } from './shutdown.js';
import { openConfiguredStore } from '../store/configured.js';
import type { SyncRunRecord } from '../store/types.js';
import { SYNC_FLOWS, type SyncFlow } from '../core/flows.js';
import type { SyncService, SyncRunView } from '../sync/service.js';
import { wireSyncs } from '../engines.js';
import { CONFIG_OPTION, EXIT, JSON_OPTION, configFileOf, line, type CliIo, type Command, type Output } from './command.js';
import { StatusBoard, type Terminal } from './status-board.js';

const MiB = 1024 * 1024;
/** Without a terminal (a log file, a scheduler), a progress line per running flow this often. */
const PLAIN_PROGRESS_EVERY_MS = 30_000;
const TERMINAL_REDRAW_EVERY_MS = 250;

function describe(view: SyncRunView): string {
  if (view.status !== 'running') return view.status;
  const p = view.progress;
  if (!p?.phase) return 'starting';
  const parts = [String(p.phase)];
  if (typeof p.seen === 'number') parts.push(`${p.seen} seen, ${p.copied} copied, ${p.unchanged} unchanged`);
  if (typeof p.records === 'number') parts.push(`${p.records} records, ${p.written} written`);
  if (typeof p.copiedBytes === 'number') parts.push(`${(p.copiedBytes / MiB).toFixed(1)} MiB at ${(Number(p.bytesPerSecond) / MiB).toFixed(1)} MiB/s`);
  if (typeof p.etaSeconds === 'number') parts.push(`ETA ${p.etaSeconds} s`);
  if (Number(p.failed) > 0 || Number(p.quarantined) > 0) parts.push(`${Number(p.failed ?? 0) + Number(p.quarantined ?? 0)} failed`);
  return parts.join(', ');
}

const label = (run: SyncRunRecord) => `${run.flow}${run.reverse ? ' (reverse)' : ''}`;

function outcomeLine(run: SyncRunRecord): string {
  const s = run.summary;
  // A held brake is the news; the verification that follows only shows what it held back.
  const why = s.error && s.verification ? `${s.error}; verification: ${s.verification.reason}` : s.verification?.reason ?? s.error ?? '';
  const cls = s.failureClass ? ` [${s.failureClass}]` : '';
  return `${label(run)}: ${run.status}${cls} in ${((s.durationMs ?? 0) / 1000).toFixed(1)} s — ${why}`;
}

/** One line per run, the names aligned: "site       copying, 8 seen, …". */
function statusLines(views: SyncRunView[]): string[] {
  const width = Math.max(...views.map((v) => label(v).length));
  return views.map((v) => `${label(v).padEnd(width)}  ${describe(v)}`);
}

/**
 * Waits for the runs, showing their progress: redrawn in place on a terminal, else a line per
 * running flow every PLAIN_PROGRESS_EVERY_MS so that a long sync in a log is seen to move.
 */
async function follow(service: SyncService, runs: SyncRunRecord[], stderr: Output, board: StatusBoard | undefined): Promise<SyncRunRecord[]> {
  const show = async () => {
    const views = await Promise.all(runs.map((r) => service.view(r.id)));
    if (board) return board.draw(statusLines(views));
    const running = views.filter((v) => v.status === 'running');
    if (running.length > 0) for (const text of statusLines(running)) line(stderr, text);
  };
  let showing: Promise<void> | undefined;
  const tick = () => {
    // One redraw at a time: a slow store read skips a tick rather than piling redraws up.
    if (showing) return;
    // Progress is a courtesy: a failed read is said, and the sync goes on.
    const say = (text: string) => (board ? board.message(text) : line(stderr, text));
    showing = show()
      .catch((error: unknown) => say(`progress not shown: ${describeError(error)}`))
      .finally(() => (showing = undefined));
  };
  const timer = setInterval(tick, board ? TERMINAL_REDRAW_EVERY_MS : PLAIN_PROGRESS_EVERY_MS);
  try {
    return await Promise.all(runs.map((r) => service.wait(r.id)));
  } finally {
    clearInterval(timer);
    // A redraw still reading must not draw the status lines again once they are taken off.
    await showing;
    board?.close();
  }
}

export const syncCommand: Command = {
  usage: 'sync <site|uploads|metadata|all> [--reverse] [--since ISO] [--allow-deletes] [--config FILE] [--json]',
  summary: 'copy and verify one flow (or all) from AWS to Azure, or back with --reverse',
  options: { reverse: { type: 'boolean' }, since: { type: 'string' }, 'allow-deletes': { type: 'boolean' }, ...CONFIG_OPTION, ...JSON_OPTION },
  positionals: [{ name: 'flow', choices: [...SYNC_FLOWS, 'all'] }],
  async run({ values, words }, io: CliIo) {
    const since = values.since === undefined ? undefined : new Date(String(values.since));
    if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since must be a date and time (ISO 8601), got "${values.since}"`);
    const { config } = loadConfig(configFileOf(values, io.env), io.env);
    // Among replicas the leader runs the syncs: a process of its own would act without the lease.
    if (config.store.postgres) throw new ConflictError(`with store.postgres the replicas run the syncs: ask any of them (POST /api/v1/syncs/${words.flow}/run)`);
    const { store } = await openConfiguredStore(config, io.env, { writer: `drsentinel sync ${words.flow}`, clock: systemClock });
    const stderr: Terminal = io.stderr;
    const board = stderr.isTTY ? new StatusBoard(stderr) : undefined;
    // Messages go above the status lines on a terminal, never into them.
    const log = (_level: string, msg: string) => (board ? board.message(msg) : line(stderr, msg));
    const engines = wireSyncs({ config, env: io.env, store, log });
    const service = engines.syncs;
    // Ctrl-C ends the runs as "interrupted" (not failed): the next run converges.
    const termination = io.signal ? undefined : onTermination(() => log('warn', 'still stopping the sync…'));
    const stopSignal = io.signal ?? termination!.signal;
    const stop = () => void service.close(typeof stopSignal.reason === 'string' ? `stopped by ${stopSignal.reason}` : 'stopped');
    stopSignal.addEventListener('abort', stop, { once: true });
    try {
      const flows: SyncFlow[] = words.flow === 'all' ? [...SYNC_FLOWS] : [words.flow as SyncFlow];
      const request = { reverse: Boolean(values.reverse), since, allowDeletes: Boolean(values['allow-deletes']) };
      const started = await service.startMany(flows, request);
      // Whoever holds the config may run the flows; the audit still says who did, as for the API.
      await store.audit.append({ actor: `cli:${userInfo().username}`, action: 'sync.run', target: String(words.flow), details: { reverse: request.reverse, since: values.since ?? null, allowDeletes: request.allowDeletes, runs: started.map((r) => r.id) } });
      const runs = await follow(service, started, stderr, board);
      if (values.json) line(io.stdout, JSON.stringify(runs.length === 1 ? runs[0] : { runs }, null, 2));
      else for (const run of runs) line(io.stdout, outcomeLine(run));
      return runs.every((r) => r.status === 'succeeded') ? EXIT.ok : EXIT.failed;
    } finally {
      stopSignal.removeEventListener('abort', stop);
      termination?.dispose();
      await engines.close();
      await store.close();
    }
  },
};
