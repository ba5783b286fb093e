/**
 * The API's scale set in warm standby (R5, check 4): it exists, its last change succeeded, it
 * runs no instance (capacity 0 costs nothing), and its model still holds what an activation
 * needs to boot the API — the image reference and the start-up script.
 */
import type { Check } from '../src/core/result.js';
import { fail, pass } from '../src/core/result.js';
import type { ScaleSet } from '../src/core/ports.js';
import { unreadable } from './app-gateway.js';

export interface ScaleSetStandbyOptions {
  /** The capacity of the warm standby (config activation.vmssStandby, 0). */
  expectedCapacity: number;
}

export function scaleSetStandbyCheck(scaleSet: ScaleSet, opts: ScaleSetStandbyOptions): Check {
  const name = scaleSet.name;
  return {
    id: 'scale-set',
    title: `the scale set ${name} is ready in standby`,
    async run(ctx) {
      let state;
      try {
        state = await scaleSet.get(ctx.signal);
      } catch (err) {
        return unreadable(`the scale set ${name}`, err);
      }
      const evidence = { ...state, expectedCapacity: opts.expectedCapacity };
      const measurements = { capacity: state.capacity };
      const problems: string[] = [];
      if (state.provisioningState !== 'Succeeded') problems.push(`its provisioning state is ${state.provisioningState}, not Succeeded`);
      if (state.capacity !== opts.expectedCapacity) problems.push(`it has capacity ${state.capacity}; the warm standby needs ${opts.expectedCapacity}`);
      if (!state.imageReference) problems.push('its model has no image reference, so no instance could boot');
      if (!state.hasStartupScript) problems.push('its model has no start-up script, so instances would not start the API');
      if (problems.length) return fail(`the scale set ${name} is not ready: ${problems.join('; ')}`, evidence, measurements);
      return pass(`the scale set ${name} is provisioned, at capacity ${state.capacity}, with image ${state.imageReference} and a start-up script`, evidence, measurements);
    },
  };
}
