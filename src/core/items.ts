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
