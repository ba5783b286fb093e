/**
 * R5 check 1 (and R10): the static website's `index.html` answers without an HTTP error.
 * The page is asked of the website endpoint itself, as a visitor would, not of the storage API.
 */
import { STATUS_CODES } from 'node:http';
import { describeError, fail, pass, type Check } from '../src/core/result.js';

export interface StaticSiteOptions {
  /** The website endpoint, e.g. https://account.z6.web.core.windows.net/ */
  websiteUrl: string;
  /** The page asked for (default `index.html`). */
  page?: string;
}

export function staticSiteCheck(opts: StaticSiteOptions): Check {
  const url = new URL(opts.page ?? 'index.html', opts.websiteUrl.endsWith('/') ? opts.websiteUrl : `${opts.websiteUrl}/`).toString();
  return {
    id: 'static-site',
    title: `the static website answers ${url}`,
    async run(ctx) {
      let res: Response;
      try {
        res = await fetch(url, { signal: ctx.signal, redirect: 'follow' });
      } catch (err) {
        return fail(`the static website cannot be reached at ${url}: ${describeError((err as { cause?: unknown }).cause ?? err)}`, { url });
      }
      const body = Buffer.from(await res.arrayBuffer());
      const status = `${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trim();
      const evidence = { url: res.url || url, status: res.status, contentType: res.headers.get('content-type'), bytes: body.length };
      const measurements = { status: res.status, bytes: body.length };
      if (!res.ok) return fail(`the static website answers ${status} for ${url}`, evidence, measurements);
      return pass(`the static website answers ${status} for ${url} (${body.length} bytes)`, evidence, measurements);
    },
  };
}
