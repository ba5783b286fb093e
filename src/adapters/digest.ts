/**
 * The content MD5 computed while the bytes pass on their way to a store, and the check that
 * they are the bytes promised. The check runs in `flush`, before the stream ends, so an
 * upload that reads this stream fails before it commits anything.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../core/retry.js';

export interface Expected {
  size: number;
  md5?: string | undefined;
}

export class DigestingStream extends Transform {
  private readonly hash = createHash('md5');
  private bytes = 0;
  private hex: string | undefined;

  constructor(private readonly expected: Expected, private readonly what: string) {
    super();
  }

  /** Hex MD5 of everything that passed; only once the stream has ended. */
  get md5(): string {
    if (this.hex === undefined) throw new Error(`MD5 of ${this.what} asked before its last byte`);
    return this.hex;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    if (this.bytes !== this.expected.size) {
      done(new IntegrityError(`${this.what}: ${this.bytes} bytes arrived, ${this.expected.size} were announced`));
    } else if (this.expected.md5 !== undefined && this.expected.md5.toLowerCase() !== this.hex) {
      done(new IntegrityError(`${this.what}: the bytes have MD5 ${this.hex}, ${this.expected.md5} was announced`));
    } else {
      done();
    }
  }
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Every chunk of a stream into one buffer: only for bodies known to be small. */
export async function readSmall(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
