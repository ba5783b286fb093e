/**
 * Generated rows of the images table, shaped like the application's: every image split into
 * chunks (`imageId`, `chunkIndex`, base64 `content` of 256–1280 bytes, a SHA-256, flags), the
 * first chunk carrying the image's descriptive attributes (sets, maps, lists, a 38-digit
 * number, NULL). Deterministic, so every run measures the same bytes.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue, Item, KeySchema } from '../src/core/items.js';

export const IMAGES_SCHEMA: KeySchema = { hashKey: { name: 'imageId', type: 'S' }, rangeKey: { name: 'chunkIndex', type: 'N' } };
const CHUNKS_PER_IMAGE = 5;

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number | string): AttributeValue => ({ N: String(v) });

/** Pseudo-random bytes from a counter: cheap, repeatable, incompressible enough. */
function bytesFor(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0, block = 0; offset < length; block++) {
    offset += createHash('sha256').update(`${seed}:${block}`).digest().copy(out, offset);
  }
  return out;
}

function describe(image: number): Item {
  return {
    chunkCount: n(CHUNKS_PER_IMAGE),
    owner: s(['alice', 'bob', 'chen', 'dagny'][image % 4]!),
    tags: { SS: ['bench', image % 2 ? 'landscape' : 'portrait', `batch-${image % 7}`] },
    dimensions: { NS: [String(640 + image), String(480 + image)] },
    thumbnails: { BS: [bytesFor(-image, 16).toString('base64'), bytesFor(-image - 1, 24).toString('base64')] },
    sequenceNumber: n(`${(image % 9) + 1}${'2345678901234567890123456789012345678'.slice(0, 37)}`),
    deletedAt: image % 3 === 0 ? { NULL: true } : s('2026-03-01T00:00:00Z'),
    exif: { M: { camera: { M: { make: s('Bench'), iso: n(100 * (1 + (image % 8))) } }, flash: { BOOL: image % 2 === 0 } } },
    history: { L: [{ M: { action: s('uploaded'), at: s('2026-03-01T08:00:00Z') } }, s('resized'), n(image), { NULL: true }] },
  };
}

export function benchItem(index: number): Item {
  const image = Math.floor(index / CHUNKS_PER_IMAGE);
  const chunk = index % CHUNKS_PER_IMAGE;
  const bytes = bytesFor(index, 256 + ((index * 7919) % 1025));
  const item: Item = {
    imageId: s(`img-${String(image).padStart(6, '0')}`),
    chunkIndex: n(chunk),
    content: s(bytes.toString('base64')),
    chunkSha256: { B: createHash('sha256').update(bytes).digest('base64') },
    size: n(bytes.length),
    isLast: { BOOL: chunk === CHUNKS_PER_IMAGE - 1 },
  };
  return chunk === 0 ? { ...item, ...describe(image) } : item;
}

/** The item as one line of a DYNAMODB_JSON full export. */
export function exportLine(item: Item): string {
  return JSON.stringify({ Item: item });
}
