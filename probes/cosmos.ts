/**
 * R5 check 2: the Cosmos account answers, the metadata container is readable, and a write is
 * permitted — a probe document is created, read back and deleted. Each stage that fails is
 * named, so "reachable but read-only" reads differently from "unreachable".
 */
import { randomUUID } from 'node:crypto';
import type { DocumentProbe } from '../src/core/ports.js';
import { describeError, fail, pass, type Check } from '../src/core/result.js';

export interface CosmosCheckOptions {
  documents: DocumentProbe;
  /** Makes probe document ids recognisable (and removable by hand if a delete was refused). */
  idPrefix?: string;
}

/** "403 Forbidden: …" from the SDK's error, its first line only (bodies carry activity ids and more). */
function refusal(err: unknown): string {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  const message = describeError(err).split('\n')[0]!.slice(0, 200);
  return typeof code === 'number' ? `${code} ${message}` : message;
}

const statusOf = (err: unknown) => (err as { code?: unknown }).code;

export function cosmosCheck(opts: CosmosCheckOptions): Check {
  const { documents } = opts;
  return {
    id: 'cosmos',
    title: `Cosmos container ${documents.name} reachable, readable and writable`,
    async run(ctx) {
      const id = `${opts.idPrefix ?? 'drsentinel-probe'}-${randomUUID()}`;
      const evidence: Record<string, unknown> = { container: documents.name, probeDocument: id };
      const measurements: Record<string, number> = {};
      const stage = async <T>(name: string, act: () => Promise<T>): Promise<T> => {
        const started = Date.now();
        try {
          return await act();
        } finally {
          measurements[`${name}Ms`] = Date.now() - started;
        }
      };

      let described;
      try {
        described = await stage('describe', () => documents.describe(ctx.signal));
      } catch (err) {
        return fail(`the Cosmos account of ${documents.name} cannot be reached: ${refusal(err)}`, evidence, measurements);
      }
      if (!described) return fail(`the Cosmos account answers but has no container ${documents.name}`, evidence);
      evidence.partitionKey = described.partitionKey;

      const written = { probe: true, at: ctx.now().toISOString() };
      try {
        await stage('write', () => documents.create(id, written, ctx.signal));
      } catch (err) {
        const status = statusOf(err);
        const why = status === 403 || status === 401 ? 'write refused' : 'write failed';
        return fail(`${documents.name} is readable, ${why} (${refusal(err)})`, evidence, measurements);
      }

      let problem: string | undefined;
      try {
        const back = await stage('read', () => documents.read(id, ctx.signal));
        if (!back) problem = `the probe document written to ${documents.name} cannot be read back (404)`;
        else if (back.at !== written.at) problem = `the probe document read back from ${documents.name} differs from what was written`;
      } catch (err) {
        problem = `the probe document written to ${documents.name} cannot be read back: ${refusal(err)}`;
      }
      try {
        await stage('delete', () => documents.delete(id, ctx.signal));
      } catch (err) {
        // A probe document left behind is named, so it can be removed by hand.
        problem ??= `the probe document ${id} could not be deleted from ${documents.name} (${refusal(err)})`;
      }
      if (problem) return fail(problem, evidence, measurements);
      return pass(`${documents.name} answers; a probe document was written, read back and deleted`, evidence, measurements);
    },
  };
}
