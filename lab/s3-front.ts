import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FaultSwitch } from './faults.js';
import type { RequestTally } from './request-tally.js';
import { JsonState } from './json-state.js';
import { startProxy, type Interceptor, type LocalAnswer, type ProxyHandle, type ProxyRequest, type ProxyResponse } from './proxy.js';
import { faultyPage, listingFaultOf, listingXml, parseListRequest, S3Listings, xmlEscape, type ListedObject } from './s3-listing.js';
import { policyDenies, policyProblem } from './s3-policy.js';

/**
 * The S3 front over s3rver: answers multipart ETags as real S3 does (`<md5 of the part
 * MD5s>-<parts>`), keeps and enforces bucket policies, which s3rver lacks, and answers object
 * listings itself from s3rver's directory (`upstreamDirectory`, its `--directory`), in UTF-8
 * order with exact paging (see s3-listing.ts). It also holds conditional writes (If-Match,
 * If-None-Match on PutObject, CopyObject and CompleteMultipartUpload), which s3rver accepts
 * and ignores. Path-style addressing only (the lab's clients set forcePathStyle).
 *
 * The `listing` of the fault switch's `s3` fault breaks listings on purpose (see
 * s3-listing.ts, LISTING_FAULTS); `ratio` and `count` do not apply to it.
 */
export async function startS3Front(o: {
  upstream: string;
  upstreamDirectory: string;
  host: string;
  stateDir: string;
  faults: FaultSwitch;
  tally?: RequestTally;
}): Promise<ProxyHandle> {
  // Callers outside the type checker (tests run untyped) get told, not a 502 at the first listing.
  if (!o.upstreamDirectory) throw new Error("startS3Front needs upstreamDirectory: s3rver's --directory, where listings are read");
  const etags = await JsonState.load<Record<string, MultipartEtag>>(path.join(o.stateDir, 's3-multipart-etags.json'), {});
  const policies = await JsonState.load<Record<string, string>>(path.join(o.stateDir, 's3-bucket-policies.json'), {});
  const front = new S3Front(o.upstream, etags, policies, new S3Listings(o.upstreamDirectory), o.faults);
  return startProxy({ upstream: o.upstream, host: o.host, service: 's3', faults: o.faults, tally: o.tally, intercept: front.interceptor() });
}

/** What real S3 would answer, and the plain MD5 s3rver answers, for one completed multipart object. */
interface MultipartEtag {
  etag: string;
  plain: string;
}

type Op =
  | { kind: 'policy'; bucket: string }
  | { kind: 'list'; bucket: string; query: URLSearchParams }
  | { kind: 'read'; bucket: string; key: string }
  | { kind: 'write'; bucket: string; key: string; name: 'PutObject' | 'CopyObject' | 'CreateMultipartUpload'; rawPath: string }
  | { kind: 'uploadPart'; bucket: string; key: string; uploadId: string; partNumber: number }
  | { kind: 'complete'; bucket: string; key: string; uploadId: string; rawPath: string }
  | { kind: 'abort'; uploadId: string }
  | { kind: 'delete'; bucket: string; key: string }
  | { kind: 'deleteMany'; bucket: string }
  | { kind: 'other' };

const LIST_PARAMS = new Set(['list-type', 'prefix', 'delimiter', 'max-keys', 'marker', 'continuation-token', 'start-after', 'fetch-owner', 'encoding-type', 'x-id']);
const OBJECT_SUBRESOURCES = ['tagging', 'acl', 'retention', 'legal-hold', 'restore', 'attributes', 'torrent', 'select'];

/** Reads the operation off the raw request line; the URL parser would normalise `..` in keys. */
export function classify(method: string, rawUrl: string, headers: ProxyRequest['headers']): Op {
  const [rawPath = '/', rawQuery = ''] = splitOnce(rawUrl, '?');
  const query = new URLSearchParams(rawQuery);
  const [rawBucket = '', rawKey] = splitOnce(rawPath.slice(1), '/');
  if (!rawBucket) return { kind: 'other' };
  const bucket = decodeURIComponent(rawBucket);
  if (rawKey === undefined || rawKey === '') {
    if (query.has('policy')) return { kind: 'policy', bucket };
    if (method === 'POST' && query.has('delete')) return { kind: 'deleteMany', bucket };
    if (method === 'GET' && [...query.keys()].every((name) => LIST_PARAMS.has(name))) {
      return { kind: 'list', bucket, query };
    }
    return { kind: 'other' };
  }
  const key = decodeURIComponent(rawKey);
  if (OBJECT_SUBRESOURCES.some((name) => query.has(name))) return { kind: 'other' };
  const uploadId = query.get('uploadId');
  const copy = headers['x-amz-copy-source'] !== undefined;
  switch (method) {
    case 'GET':
    case 'HEAD':
      return { kind: 'read', bucket, key };
    case 'PUT':
      if (uploadId !== null) return { kind: 'uploadPart', bucket, key, uploadId, partNumber: Number(query.get('partNumber')) };
      return { kind: 'write', bucket, key, name: copy ? 'CopyObject' : 'PutObject', rawPath };
    case 'POST':
      if (query.has('uploads')) return { kind: 'write', bucket, key, name: 'CreateMultipartUpload', rawPath };
      if (uploadId !== null) return { kind: 'complete', bucket, key, uploadId, rawPath };
      return { kind: 'other' };
    case 'DELETE':
      return uploadId !== null ? { kind: 'abort', uploadId } : { kind: 'delete', bucket, key };
    default:
      return { kind: 'other' };
  }
}

class S3Front {
  /** uploadId → part number → part MD5 (hex), as s3rver answered each UploadPart. */
  readonly #parts = new Map<string, Map<number, string>>();
  readonly #ops = new WeakMap<ProxyRequest, Op>();

  constructor(
    private readonly upstream: string,
    private readonly etags: JsonState<Record<string, MultipartEtag>>,
    private readonly policies: JsonState<Record<string, string>>,
    private readonly listings: S3Listings,
    private readonly faults: FaultSwitch,
  ) {}

  interceptor(): Interceptor {
    return {
      bufferRequest: (req) => {
        const kind = this.#op(req).kind;
        return kind === 'policy' || kind === 'complete' || kind === 'deleteMany';
      },
      answer: (req) => this.#answer(req),
      bufferResponse: (req, status) => {
        const kind = this.#op(req).kind;
        return status === 200 && kind === 'complete';
      },
      response: (req, res) => this.#response(req, res),
    };
  }

  #op(req: ProxyRequest): Op {
    let op = this.#ops.get(req);
    if (!op) {
      op = classify(req.method, req.rawUrl, req.headers);
      this.#ops.set(req, op);
    }
    return op;
  }

  async #answer(req: ProxyRequest): Promise<LocalAnswer | undefined> {
    const op = this.#op(req);
    if (op.kind === 'policy') return this.#policyOp(req, op.bucket);
    if (op.kind === 'list') return this.#list(op.bucket, op.query);
    const writes = op.kind === 'write' || op.kind === 'uploadPart' || op.kind === 'complete';
    if (writes) {
      const policy = this.policies.value[op.bucket];
      if (policy && policyDenies(policy, 's3:PutObject', `arn:aws:s3:::${op.bucket}/${op.key}`)) {
        return s3Error(403, 'AccessDenied', 'Access Denied');
      }
    }
    if ((op.kind === 'write' && op.name !== 'CreateMultipartUpload') || op.kind === 'complete') return this.#precondition(req, op);
    return undefined;
  }

  /**
   * S3 checks the object as it stands when the write commits: for a multipart upload, at
   * completion. Here the check and the write are two steps, so two conditional writes racing
   * on one key can both pass where S3 would refuse one (409): the lab proves refusals, not races.
   */
  async #precondition(req: ProxyRequest, op: { bucket: string; key: string; rawPath: string }): Promise<LocalAnswer | undefined> {
    const condition = writeCondition(req.headers);
    if (!condition) return undefined;
    if ('unsupported' in condition) return s3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: condition.unsupported });
    const current = await this.#currentEtag(op);
    if ('ifNoneMatch' in condition) {
      return current === undefined ? undefined : preconditionFailed('If-None-Match');
    }
    // An If-Match names an object: without one there is nothing to match (S3: 404, not 412).
    if (current === undefined) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: op.key });
    return condition.ifMatch.some((tag) => tag === '*' || tag === current) ? undefined : preconditionFailed('If-Match');
  }

  /** The ETag (unquoted) clients see for the object now, multipart ones included; undefined when there is none. */
  async #currentEtag(op: { bucket: string; key: string; rawPath: string }): Promise<string | undefined> {
    const res = await fetch(`${this.upstream}${op.rawPath}`, { method: 'HEAD' });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`s3rver answered HEAD ${op.rawPath} with ${res.status}`);
    const plain = unquote(res.headers.get('etag') ?? '');
    const known = this.etags.value[mapKey(op.bucket, op.key)];
    return known && known.plain === plain ? known.etag : plain;
  }

  async #policyOp(req: ProxyRequest, bucket: string): Promise<LocalAnswer> {
    if (!(await this.#bucketExists(bucket))) return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    const current = this.policies.value[bucket];
    switch (req.method) {
      case 'GET':
        if (current === undefined) return s3Error(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist', { BucketName: bucket });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: current };
      case 'PUT': {
        const text = req.body?.toString('utf8') ?? '';
        const problem = policyProblem(text);
        if (problem) return s3Error(400, 'MalformedPolicy', problem);
        this.policies.value[bucket] = text;
        await this.policies.save();
        return { status: 204 };
      }
      case 'DELETE':
        delete this.policies.value[bucket];
        await this.policies.save();
        return { status: 204 };
      default:
        return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }

  async #list(bucket: string, query: URLSearchParams): Promise<LocalAnswer> {
    const request = parseListRequest(query);
    if ('problem' in request) return s3Error(400, 'InvalidArgument', request.problem);
    const fault = listingFaultOf(this.faults.get('s3'));
    // A listing that loses its place starts over from the first key, whatever it was asked.
    const asked = fault === 'restarts' && request.continued ? { ...request, after: '', continued: false } : request;
    const page = await this.listings.page(bucket, asked);
    if (!page) return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
    const body = listingXml(bucket, request, faultyPage(page, fault), (o) => this.#etagOf(bucket, o));
    return { status: 200, headers: { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() }, body };
  }

  #etagOf(bucket: string, o: ListedObject): string {
    const known = this.etags.value[mapKey(bucket, o.key)];
    return known && known.plain === o.md5 ? known.etag : o.md5;
  }

  async #bucketExists(bucket: string): Promise<boolean> {
    const res = await fetch(`${this.upstream}/${encodeURIComponent(bucket)}`, { method: 'HEAD' });
    return res.status !== 404;
  }

  async #response(req: ProxyRequest, res: ProxyResponse): Promise<void> {
    const op = this.#op(req);
    const ok = res.status >= 200 && res.status < 300;
    if (op.kind === 'write' || op.kind === 'complete' || op.kind === 'delete' || op.kind === 'deleteMany') this.listings.forget(op.bucket);
    switch (op.kind) {
      case 'uploadPart':
        if (ok) this.#rememberPart(op.uploadId, op.partNumber, res.headers['etag']);
        return;
      case 'complete':
        if (ok) await this.#complete(op, req.body!, res);
        return;
      case 'abort':
        this.#parts.delete(op.uploadId);
        return;
      case 'read': {
        const known = this.etags.value[mapKey(op.bucket, op.key)];
        if (known && unquote(String(res.headers['etag'] ?? '')) === known.plain) res.headers['etag'] = `"${known.etag}"`;
        return;
      }
      case 'write':
        if (ok && op.name !== 'CreateMultipartUpload') await this.#forget([mapKey(op.bucket, op.key)]);
        return;
      case 'delete':
        if (ok) await this.#forget([mapKey(op.bucket, op.key)]);
        return;
      case 'deleteMany':
        if (ok) await this.#forget(xmlValues(req.body!.toString('utf8'), 'Key').map((key) => mapKey(op.bucket, key)));
        return;
      default:
        return;
    }
  }

  #rememberPart(uploadId: string, partNumber: number, etag: unknown): void {
    if (typeof etag !== 'string') return;
    let parts = this.#parts.get(uploadId);
    if (!parts) this.#parts.set(uploadId, (parts = new Map()));
    parts.set(partNumber, unquote(etag));
  }

  async #complete(op: Extract<Op, { kind: 'complete' }>, requestBody: Buffer, res: ProxyResponse): Promise<void> {
    const answer = res.body?.toString('utf8') ?? '';
    // S3 may answer 200 and still fail a CompleteMultipartUpload: the error is in the body.
    if (answer.includes('<Error>')) return;
    const remembered = this.#parts.get(op.uploadId);
    // The listed part ETags were checked against the parts by s3rver; they stand in for parts
    // uploaded before this front (re)started.
    const listed = blocks(requestBody.toString('utf8'), 'Part').map((part) => ({
      number: Number(xmlValues(part, 'PartNumber')[0]),
      etag: unquote(xmlValues(part, 'ETag')[0] ?? ''),
    }));
    const md5s = listed.map((p) => remembered?.get(p.number) ?? p.etag);
    const etag = multipartEtag(md5s);
    const plain = unquote(xmlValues(answer, 'ETag')[0] ?? '');
    this.#parts.delete(op.uploadId);
    this.etags.value[mapKey(op.bucket, op.key)] = { etag, plain };
    await this.etags.save();
    res.body = Buffer.from(answer.replace(/<ETag>[^<]*<\/ETag>/, `<ETag>&quot;${etag}&quot;</ETag>`));
  }

  async #forget(keys: string[]): Promise<void> {
    const known = keys.filter((key) => key in this.etags.value);
    if (known.length === 0) return;
    for (const key of known) delete this.etags.value[key];
    await this.etags.save();
  }
}

/** Real S3's multipart ETag: MD5 of the concatenated binary part MD5s, dash, part count. */
export function multipartEtag(partMd5Hex: string[]): string {
  const hash = createHash('md5');
  for (const md5 of partMd5Hex) hash.update(Buffer.from(md5, 'hex'));
  return `${hash.digest('hex')}-${partMd5Hex.length}`;
}

function mapKey(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

function blocks(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

/** Text of every `<tag>` element, entities decoded. */
function xmlValues(xml: string, tag: string): string[] {
  return blocks(xml, tag).map(xmlUnescape);
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return NAMED_ENTITIES[entity] ?? whole;
  });
}

/** `fields`: the elements S3 adds after the message (BucketName, Key, Condition…). */
function s3Error(status: number, code: string, message: string, fields: Record<string, string> = {}): LocalAnswer {
  const requestId = randomUUID();
  const extra = Object.entries(fields).map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`).join('');
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`,
  };
}

function preconditionFailed(condition: 'If-Match' | 'If-None-Match'): LocalAnswer {
  return s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
}

/**
 * A write's condition as S3 reads it: If-Match takes ETags (a list, or `*`), If-None-Match only
 * `*`; anything else, or both at once, S3 does not implement.
 */
export function writeCondition(headers: ProxyRequest['headers']): { ifMatch: string[] } | { ifNoneMatch: '*' } | { unsupported: string } | undefined {
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) return { unsupported: 'If-Match' };
  if (ifNoneMatch !== undefined) return ifNoneMatch.trim() === '*' ? { ifNoneMatch: '*' } : { unsupported: 'If-None-Match' };
  if (ifMatch !== undefined) return { ifMatch: ifMatch.split(',').map((tag) => unquote(tag.trim())) };
  return undefined;
}
