/**
 * DynamoDB's JSON protocol, spoken by the twin itself rather than through the SDK. Its items
 * arrive in DynamoDB JSON (`{"S": …}`, binary as base64), which is the export's own
 * DYNAMODB_JSON format: the twin writes them as they come, so no encoder of the product's
 * stands between the table and the export it reads back.
 */
export type DynamoWire = (operation: string, body: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * An item or key as the protocol carries it (attribute name → `{"S": "…"}`, `{"N": "…"}`, binary
 * in base64…). The twin stores and forwards them as they come and never decodes one.
 */
export type WireItem = Record<string, Record<string, unknown>>;

export interface WireOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
}

/**
 * The emulator under the twin checks that a request is signed in form (credential scope, signed
 * headers, a signature, a date) but not the signature itself, so a well-formed unsigned header does.
 */
export function dynamoWire(o: WireOptions): DynamoWire {
  return async (operation, body) => {
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const scope = `${o.accessKeyId}/${amzDate.slice(0, 8)}/${o.region}/dynamodb/aws4_request`;
    const res = await fetch(o.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'x-amz-date': amzDate,
        authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
      },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`DynamoDB ${operation} answered ${res.status}: ${String(answer.__type ?? '')} ${String(answer.message ?? answer.Message ?? '')}`.trim());
    return answer;
  };
}
