/**
 * R12: the Cosmos container has the throughput of active operation applied (4000 RU/s by
 * default) and its control plane answers without abnormal latency. The read's latency is kept
 * as a measurement so a slow drift shows in the history before it becomes a failure.
 */
import { performance } from 'node:perf_hooks';
import type { Check } from '../src/core/result.js';
import { describeError, fail, pass, warn } from '../src/core/result.js';
import type { Throughput } from '../src/core/ports.js';

export interface CosmosThroughputOptions {
  /** The RU/s that must be applied. */
  expectedRu: number;
  /** A read slower than this is a warning (default 2000 ms). */
  maxLatencyMs?: number;
}

const DEFAULT_MAX_LATENCY_MS = 2000;

export function cosmosThroughputCheck(throughput: Throughput, opts: CosmosThroughputOptions): Check {
  const maxLatencyMs = opts.maxLatencyMs ?? DEFAULT_MAX_LATENCY_MS;
  const expected = opts.expectedRu;
  const container = throughput.name;
  return {
    id: 'cosmos-throughput',
    title: `the Cosmos container ${container} has ${expected} RU/s applied`,
    async run(ctx) {
      const began = performance.now();
      let ru: number;
      try {
        ru = await throughput.get(ctx.signal);
      } catch (err) {
        return fail(`the throughput of the Cosmos container ${container} could not be read: ${describeError(err)}`, { container, expectedRu: expected });
      }
      const latencyMs = Math.round(performance.now() - began);
      const evidence = { container, throughputRu: ru, expectedRu: expected, latencyMs, maxLatencyMs };
      const measurements = { throughputRu: ru, expectedRu: expected, latencyMs };
      if (ru !== expected) {
        return fail(`the Cosmos container ${container} has ${ru} RU/s applied; ${expected} RU/s are expected`, evidence, measurements);
      }
      if (latencyMs > maxLatencyMs) {
        return warn(`the Cosmos container ${container} has ${ru} RU/s applied, but reading it took ${latencyMs} ms (more than ${maxLatencyMs} ms)`, evidence, measurements);
      }
      return pass(`the Cosmos container ${container} has ${ru} RU/s applied, read in ${latencyMs} ms`, evidence, measurements);
    },
  };
}
