/**
 * Where records that cannot be imported go: one JSON line each, with the file and line they
 * came from and the reason, so nothing is lost silently and the rest of the run goes on.
 * Only keys are kept, never whole items: the quarantine file may be shared in an incident.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Item } from '../core/items.js';

export interface QuarantineEntry {
  file: string;
  line: number;
  reason: string;
  key?: Item;
}

export class Quarantine {
  private out: WriteStream | undefined;
  private failure: Error | undefined;
  count = 0;
  readonly first: QuarantineEntry[] = [];

  constructor(readonly path: string, private readonly keepFirst = 20) {}

  async add(entry: QuarantineEntry): Promise<void> {
    this.count++;
    if (this.first.length < this.keepFirst) this.first.push(entry);
    if (!this.out) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.out = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
      this.out.on('error', (err) => (this.failure = err));
    }
    // Losing the record of a quarantined item would lose the item silently: stop the run instead.
    if (this.failure) throw new Error(`the quarantine file ${this.path} cannot be written: ${this.failure.message}`);
    if (!this.out.write(JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n')) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    const out = this.out;
    if (!out || out.writableFinished) return;
    out.end();
    await once(out, 'finish');
  }
}
