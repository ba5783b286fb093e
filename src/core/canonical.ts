/**
 * Canonical hashing of typed items: a DynamoDB item and the same item read back from its
 * Cosmos document must hash alike, whatever textual form each store gave its numbers,
 * its binary values or the order of its sets and attributes.
 */
import { createHash } from 'node:crypto';
import { attributeType, type AttributeValue, type Item } from './items.js';

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Already in plain decimal form: the common case of keys and counters, returned as is. */
const PLAIN_INTEGER = /^(?:0|-?[1-9]\d*)$/;

/**
 * The plain decimal form of a DynamoDB number: no exponent, no leading or trailing zeros,
 * no `+`, no `-0` — `1.0`, `1E0` and `01` all become `1`; `1E2` becomes `100`.
 */
export function normalizeNumber(text: string): string {
  if (PLAIN_INTEGER.test(text)) return text;
  const match = NUMBER.exec(text.trim());
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match ?? [];
  if (!match || whole + fraction === '') throw new Error(`not a number: "${text}"`);
  let digits = (whole + fraction).replace(/^0+/, '');
  let exponent = Number(exponentText) - fraction.length;
  if (digits === '') return '0';
  const trailing = /0+$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  const negative = sign === '-' ? '-' : '';
  if (exponent >= 0) return negative + digits + '0'.repeat(exponent);
  const point = digits.length + exponent;
  if (point > 0) return `${negative}${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${negative}0.${'0'.repeat(-point)}${digits}`;
}

/** Base64 re-encoded from its bytes, so padding or line breaks do not change a hash. */
export function normalizeBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('base64');
}

function sorted(values: string[]): string[] {
  return [...values].sort();
}

function canonicalValue(value: AttributeValue): unknown {
  const type = attributeType(value);
  if ('S' in value) return [type, value.S];
  if ('N' in value) return [type, normalizeNumber(value.N)];
  if ('B' in value) return [type, normalizeBase64(value.B)];
  if ('SS' in value) return [type, sorted(value.SS)];
  if ('NS' in value) return [type, sorted(value.NS.map(normalizeNumber))];
  if ('BS' in value) return [type, sorted(value.BS.map(normalizeBase64))];
  if ('M' in value) return [type, canonicalMap(value.M)];
  if ('L' in value) return [type, value.L.map(canonicalValue)];
  if ('BOOL' in value) return [type, value.BOOL];
  return [type];
}

function canonicalMap(map: Record<string, AttributeValue>): unknown[] {
  return Object.keys(map)
    .sort()
    .map((name) => [name, canonicalValue(map[name] as AttributeValue)]);
}

/** The canonical serialisation hashed by `canonicalHash`, exposed for diagnostics. */
export function canonicalForm(item: Item): string {
  return JSON.stringify(canonicalMap(item));
}

/** Hex SHA-256 of the item's canonical form. */
export function canonicalHash(item: Item): string {
  return createHash('sha256').update(canonicalForm(item)).digest('hex');
}
