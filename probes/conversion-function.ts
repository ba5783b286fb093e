/**
 * R5 check 3: the conversion function is deployed in the Function App, listed there, and fires
 * on new blobs in the uploads container. A function that exists but watches another container
 * (or nothing) converts no upload after a failover, so it fails as surely as a missing one.
 */
import type { Check } from '../src/core/result.js';
import { describeError, fail, pass } from '../src/core/result.js';
import type { FunctionApp, FunctionBinding, FunctionInfo } from '../src/core/ports.js';

export interface ConversionFunctionOptions {
  functionName: string;
  /** The Blob container whose new blobs must trigger it. */
  uploadsContainer: string;
}

const isBlobTrigger = (b: FunctionBinding) => b.type.toLowerCase() === 'blobtrigger';
/** A blob trigger's path is `container/{pattern}`. */
const watchedContainer = (b: FunctionBinding) => b.path?.split('/')[0] ?? '';
const describeBinding = (b: FunctionBinding) => [b.type, b.direction && `(${b.direction})`, b.path && `on ${b.path}`].filter(Boolean).join(' ');

export function conversionFunctionCheck(functionApp: FunctionApp, opts: ConversionFunctionOptions): Check {
  const { functionName: fn, uploadsContainer: container } = opts;
  const app = functionApp.name;
  return {
    id: 'conversion-function',
    title: `the function ${fn} in ${app} is triggered by new blobs in ${container}`,
    async run(ctx) {
      let listed: FunctionInfo[];
      try {
        listed = await functionApp.listFunctions(ctx.signal);
      } catch (err) {
        return fail(`the functions of the Function App ${app} could not be listed: ${describeError(err)}`, { functionApp: app });
      }
      const names = listed.map((f) => f.name);
      const evidence: Record<string, unknown> = { functionApp: app, functions: names, uploadsContainer: container };
      const measurements = { functions: listed.length };
      const found = listed.find((f) => f.name.toLowerCase() === fn.toLowerCase());
      if (!found) {
        const lists = names.length ? `it lists ${names.join(', ')}` : 'it lists no function at all';
        return fail(`the Function App ${app} does not list the conversion function ${fn}; ${lists}`, evidence, measurements);
      }
      evidence.bindings = found.bindings;
      const triggers = found.bindings.filter(isBlobTrigger);
      if (triggers.length === 0) {
        const has = found.bindings.length ? `its bindings are ${found.bindings.map(describeBinding).join(', ')}` : 'it has no bindings';
        return fail(`the function ${fn} in ${app} has no blob trigger; ${has}`, evidence, measurements);
      }
      const watching = triggers.find((b) => watchedContainer(b) === container);
      if (!watching) {
        const paths = triggers.map((b) => b.path ?? '(no path)').join(', ');
        return fail(`the function ${fn} in ${app} is triggered by blobs in ${paths}, not by new uploads in the container ${container}`, evidence, measurements);
      }
      return pass(`the function ${fn} is deployed in ${app} with a blob trigger on ${watching.path}`, evidence, measurements);
    },
  };
}
