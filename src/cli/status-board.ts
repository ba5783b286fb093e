/**
 * Status lines redrawn in place on a terminal, one per run. Each line is cut to the terminal's
 * width: a line that wrapped would leave its first rows behind at every redraw. Messages
 * written while the board is shown go above it, so a log line never lands inside a status.
 */
import type { Output } from './command.js';

export interface Terminal extends Output {
  isTTY?: boolean;
  columns?: number;
}

const ERASE_TO_END = '\x1b[J';
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');

/**
 * `text` cut to `width` characters, the last one an ellipsis when something was cut. Characters,
 * not display columns: the status lines are flow names, numbers and units, one column each.
 */
export function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

export class StatusBoard {
  #shown = 0;
  #lines: string[] = [];

  constructor(private readonly out: Terminal) {}

  /** Replaces the status lines. */
  draw(lines: string[]): void {
    this.#erase();
    this.#lines = lines;
    this.#write();
  }

  /** Prints a message above the status lines, which stay. */
  message(text: string): void {
    this.#erase();
    this.out.write(`${text}\n`);
    this.#write();
  }

  /** Takes the status lines off the screen for good. */
  close(): void {
    this.#erase();
    this.#lines = [];
  }

  #erase(): void {
    if (this.#shown === 0) return;
    this.out.write(`\r${up(this.#shown - 1)}${ERASE_TO_END}`);
    this.#shown = 0;
  }

  #write(): void {
    if (this.#lines.length === 0) return;
    // One column short of the edge: some terminals wrap as soon as the last column is written.
    // Some pseudo-terminals report 0 columns: that is no width at all.
    const width = Math.max(20, (this.out.columns || 80) - 1);
    this.out.write(this.#lines.map((l) => fit(l, width)).join('\n'));
    this.#shown = this.#lines.length;
  }
}
