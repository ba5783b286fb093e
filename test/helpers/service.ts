/**
 * The real service (`serve`) on a lab, on a free port, stopped at the end of the test; and a
 * small client for its API with the lab's demo tokens.
 */
import type { Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/server.js';
import type { Lab } from '../../lab/index.js';

export type Role = keyof Lab['endpoints']['tokens'];

export interface ServiceClient {
  url: string;
  call(method: string, path: string, role?: Role, body?: unknown): Promise<{ status: number; body: any }>;
  /** Polls GET `path` until `done(body)` holds; fails after `timeoutMs`. */
  until(path: string, done: (body: any) => boolean, timeoutMs?: number): Promise<any>;
}

export async function startService(t: Test, lab: Lab, env: NodeJS.ProcessEnv = {}): Promise<ServiceClient> {
  const controller = new AbortController();
  const running = await serve({
    configFile: lab.configFile,
    env: { ...process.env, DRSENTINEL__SERVICE__PORT: '0', DRSENTINEL__SERVICE__LOG_LEVEL: 'silent', ...env },
    signal: controller.signal,
    print: () => {},
  });
  t.teardown(() => {
    controller.abort();
    return running.done;
  });
  const call: ServiceClient['call'] = async (method, path, role, body) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: { ...(role ? { authorization: `Bearer ${lab.endpoints.tokens[role]}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url: running.url,
    call,
    async until(path, done, timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await call('GET', path, 'viewer');
        if (done(body)) return body;
        if (Date.now() > deadline) throw new Error(`gave up waiting on ${path}: ${JSON.stringify(body).slice(0, 2000)}`);
        await sleep(250);
      }
    },
  };
}
