/**
 * Failure classes and one retry policy for every engine: throttling and network faults
 * are retried with exponential backoff and jitter, honouring the service's Retry-After;
 * auth and integrity faults are not (retrying cannot fix them).
 */
export type FailureClass = 'auth' | 'throttling' | 'network' | 'timeout' | 'integrity' | 'safety' | 'conflict' | 'config' | 'other';

interface ErrorLike {
  name?: string;
  code?: string | number;
  statusCode?: number;
  status?: number;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  response?: { headers?: { get?(name: string): string | undefined } | Record<string, string> };
  retryAfterInMs?: number;
  cause?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED',
  'UND_ERR_SOCKET', 'REQUEST_SEND_ERROR', 'ERR_STREAM_PREMATURE_CLOSE',
]);
/** A call that got no answer in time: retried like a network fault, named apart for R4. */
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'TimeoutError', 'RequestTimeout', 'ESOCKETTIMEDOUT', 'ECONNECTIONTIMEOUT',
]);
const THROTTLING_CODES = new Set([
  'SlowDown', 'ServerBusy', 'Throttling', 'ThrottlingException', 'TooManyRequests',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'ServiceUnavailable', 'OperationTimedOut',
]);
const AUTH_CODES = new Set([
  'AccessDenied', 'AuthenticationFailed', 'AuthorizationFailure', 'InvalidAccessKeyId', 'SignatureDoesNotMatch',
  'ExpiredToken', 'UnrecognizedClientException', 'AuthorizationPermissionMismatch', 'Forbidden', 'Unauthorized',
]);

/** An error that knows its failure class: the R4 alert names it, and the retry policy reads it. */
export class ClassifiedError extends Error {
  constructor(readonly failureClass: FailureClass, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Raised when bytes do not match what was promised (MD5, size): never retried blindly. */
export class IntegrityError extends ClassifiedError {
  constructor(message: string) {
    super('integrity', message);
  }
}

/**
 * A brake held: going on would risk the data the sync exists to protect (an empty source
 * beside a full destination, a mass delete, a listing that ended early). Never retried.
 */
export class SafetyError extends ClassifiedError {
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super('safety', message);
  }
}

/** A write refused because the destination changed after the given time: never retried, never forced. */
export class WriteConflictError extends ClassifiedError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A run past its deadline: it ends failed, class timeout, and is not retried. */
export class DeadlineError extends ClassifiedError {
  constructor(message: string) {
    super('timeout', message);
  }
}

function statusOf(err: ErrorLike): number | undefined {
  return err.$metadata?.httpStatusCode ?? err.statusCode ?? (typeof err.status === 'number' ? err.status : undefined);
}

export function classifyFailure(error: unknown): FailureClass {
  const err = (error ?? {}) as ErrorLike;
  const declared = (error as { failureClass?: unknown } | null)?.failureClass;
  if (declared === 'safety' || declared === 'conflict' || declared === 'timeout' || declared === 'config') return declared;
  if (error instanceof IntegrityError || err.code === 'Md5Mismatch' || err.name === 'BadDigest' || err.code === 'BadDigest' || err.code === 'InvalidDigest') return 'integrity';
  const code = String(err.code ?? err.name ?? '');
  const status = statusOf(err);
  if (AUTH_CODES.has(code) || status === 401 || status === 403) return 'auth';
  if (THROTTLING_CODES.has(code) || status === 429 || status === 503) return 'throttling';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (NETWORK_CODES.has(code) || /socket hang up|network|ECONNRESET|aborted|terminated|other side closed/i.test(String((error as Error)?.message ?? ''))) return 'network';
  if (status !== undefined && status >= 500) return 'network';
  if (err.cause && err.cause !== error) {
    const inner = classifyFailure(err.cause);
    if (inner !== 'other') return inner;
  }
  return 'other';
}

export function isRetryable(error: unknown): boolean {
  const failure = classifyFailure(error);
  return failure === 'throttling' || failure === 'network' || (failure === 'timeout' && !(error instanceof DeadlineError));
}

/** Milliseconds the service asked us to wait, if it said so. */
export function retryAfterMs(error: unknown): number | undefined {
  const err = (error ?? {}) as ErrorLike;
  if (typeof err.retryAfterInMs === 'number') return err.retryAfterInMs;
  const headers = err.$response?.headers ?? (err.response?.headers as Record<string, string> | undefined);
  const read = (name: string): string | undefined => {
    if (!headers) return undefined;
    const getter = (headers as { get?: (n: string) => string | undefined }).get;
    return typeof getter === 'function' ? getter.call(headers, name) : (headers as Record<string, string>)[name];
  };
  const ms = read('x-ms-retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const after = read('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 20_000 };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error occurs, or the attempts run out.
 * `onRetry` sees each retried error (for logs and counters).
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  opts: { policy?: RetryPolicy; signal?: AbortSignal; onRetry?: (error: unknown, n: number, delayMs: number) => void } = {},
): Promise<T> {
  const policy = opts.policy ?? defaultRetryPolicy;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= policy.attempts || !isRetryable(error) || opts.signal?.aborted) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      const delay = Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs(error) ?? 0));
      opts.onRetry?.(error, n, delay);
      await sleep(delay, opts.signal);
    }
  }
}
