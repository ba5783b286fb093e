/** The benchmark's rows, the table printed at the end and the JSON written beside it. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SideFigures {
  wallMs?: number;
  /** Bytes. */
  peakRss?: number;
  /** Items (or objects) per second. */
  rate?: number;
}

export type Status = 'PASS' | 'MISS' | 'SKIP' | 'INFO';

export interface Row {
  id: string;
  what: string;
  drsentinel: SideFigures;
  baseline?: SideFigures & { tool: string };
  /** The compared figure (a ratio, a rate, megabytes), absent when skipped. */
  value?: number;
  shown: string;
  target: string;
  status: Status;
  note?: string;
}

export interface TargetCheck {
  value: number;
  limit: number;
  /** 'max': value ≤ limit passes; 'min': value ≥ limit passes. */
  kind: 'max' | 'min';
}

export function judge({ value, limit, kind }: TargetCheck): Status {
  return (kind === 'max' ? value <= limit : value >= limit) ? 'PASS' : 'MISS';
}

const seconds = (ms?: number) => (ms === undefined ? '' : `${(ms / 1000).toFixed(2)} s`);
const megabytes = (bytes?: number) => (bytes === undefined ? '' : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const rate = (r?: number) => (r === undefined ? '' : `${Math.round(r).toLocaleString('en-US')}/s`);

function side(s?: SideFigures): string {
  if (!s) return '';
  return [seconds(s.wallMs), rate(s.rate)].filter(Boolean).join(', ');
}

export function formatTable(rows: Row[]): string {
  const header = ['figure', 'drsentinel', 'peak RSS', 'baseline', 'peak RSS', 'value', 'target', 'result'];
  const cells = rows.map((r) => [
    `${r.id} ${r.what}`,
    side(r.drsentinel),
    megabytes(r.drsentinel.peakRss),
    r.baseline ? `${r.baseline.tool} ${side(r.baseline)}` : '',
    megabytes(r.baseline?.peakRss),
    r.shown,
    r.target,
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.id} ${r.what}: ${r.note}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

export async function writeResults(file: string, results: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
