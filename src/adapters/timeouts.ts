/**
 * One bound on every outbound call, `sync.requestTimeoutSeconds`: without it a connection the
 * far side stops answering holds a flow forever. Each SDK is bounded where it can be (see the
 * client builders); what they all raise is an error that classifyFailure names 'timeout'.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { RequestPolicyFactory } from '@azure/storage-blob';
import type { Config } from '../config/schema.js';

export const requestTimeoutMs = (config: Config): number => config.sync.requestTimeoutSeconds * 1000;

/** A call or a body that got no answer in time: code 'TimeoutError', as the SDKs name theirs. */
export class TimeoutError extends Error {
  readonly code = 'TimeoutError';
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** What the Azure SDKs' requests share, old (Storage's WebResource) and new (PipelineRequest). */
interface AzureRequest {
  timeout: number;
  url: string;
  method: string;
  abortSignal?: { readonly aborted: boolean };
}

/**
 * Each try may take `ms` until the answer's headers (bodies are bounded by withIdleTimeout).
 * The Azure HTTP client ends such a try with a bare AbortError, which would pass for the
 * caller's own abort or a network fault: it is named a timeout here, where the caller's
 * signal tells the two apart.
 */
async function boundedTry<T>(request: AzureRequest, ms: number, send: () => Promise<T>): Promise<T> {
  request.timeout ||= ms;
  try {
    return await send();
  } catch (error) {
    if ((error as Error)?.name !== 'AbortError' || request.abortSignal?.aborted) throw error;
    const url = new URL(request.url);
    throw new TimeoutError(`no answer in ${seconds(request.timeout)} from ${request.method} ${url.origin}${url.pathname}`);
  }
}

/** For the clients on core-client (ARM), as one of their `additionalPolicies`, per call. */
export function azureTimeoutPolicy(ms: number): PipelinePolicy {
  return { name: 'drsentinelRequestTimeout', sendRequest: (request, next) => boundedTry(request, ms, () => next(request)) };
}

/** For the Storage SDK, whose pipeline takes policies only as factories (Pipeline.factories). */
export function storageTimeoutFactory(ms: number): RequestPolicyFactory {
  return { create: (next) => ({ sendRequest: (request) => boundedTry(request, ms, () => next.sendRequest(request)) }) };
}
