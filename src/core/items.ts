/**
 * The typed item: DynamoDB's own JSON form (as in its exports), lossless for every
 * attribute type — sets vs lists, binary vs string, 38-digit numbers kept as strings.
 * Every DocumentTable speaks it; the Cosmos adapter maps it to natural JSON documents.
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  /** Base64 of the bytes. */
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] }
  | { NULL: true }
  | { BOOL: boolean };

export type Item = Record<string, AttributeValue>;

export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: KeyAttributeType;
}

export interface KeySchema {
  hashKey: KeyAttribute;
  rangeKey?: KeyAttribute;
}

/** The primary-key attributes of an item, in schema order. */
export function keyOf(item: Item, schema: KeySchema): Item {
  const key: Item = {};
  for (const attr of [schema.hashKey, schema.rangeKey]) {
    if (!attr) continue;
    const value = item[attr.name];
    if (!value) throw new Error(`item has no key attribute "${attr.name}"`);
    key[attr.name] = value;
  }
  return key;
}

export type AttributeType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'M' | 'L' | 'NULL' | 'BOOL';

const ATTRIBUTE_TYPES = new Set<string>(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

/** The type tag of a value; throws on anything that is not exactly one known tag. */
export function attributeType(value: AttributeValue): AttributeType {
  const tags = Object.keys(value);
  const tag = tags[0];
  if (tags.length !== 1 || tag === undefined || !ATTRIBUTE_TYPES.has(tag)) {
    throw new Error(`not a typed attribute value: ${JSON.stringify(tags)}`);
  }
  return tag as AttributeType;
}
