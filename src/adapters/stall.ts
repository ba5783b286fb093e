/**
 * A body stream that stops delivering, with its connection still open, never ends by itself:
 * the Storage SDK's download body has no timeout once the headers are in. This bounds it.
 */
import { Readable } from 'node:stream';
import { seconds, TimeoutError } from './timeouts.js';

/**
 * `stream` read through a Readable that is destroyed with a TimeoutError ("no bytes for N s
 * from <what>") when the source sends nothing for `ms` while the reader is asking for more.
 * A slow reader is not a stalled source: while the reader holds back, the clock stops.
 */
export function withIdleTimeout(stream: Readable, ms: number, what: string): Readable {
  return new IdleTimeoutReadable(stream, ms, what);
}

class IdleTimeoutReadable extends Readable {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly source: Readable, private readonly ms: number, private readonly what: string) {
    super();
    source.pause();
    source.on('data', this.onData);
    source.once('end', this.onEnd);
    source.once('error', this.onError);
  }

  override _read(): void {
    this.arm();
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.disarm();
    this.source.off('data', this.onData);
    this.source.destroy();
    callback(error);
  }

  private readonly onData = (chunk: Buffer) => {
    if (this.push(chunk)) this.arm();
    else {
      this.disarm();
      this.source.pause();
    }
  };

  private readonly onEnd = () => {
    this.disarm();
    this.push(null);
  };

  private readonly onError = (error: Error) => this.destroy(error);

  private arm(): void {
    this.disarm();
    this.timer = setTimeout(() => this.destroy(new TimeoutError(`no bytes for ${seconds(this.ms)} from ${this.what}`)), this.ms);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
