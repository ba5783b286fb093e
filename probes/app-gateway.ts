/**
 * The Application Gateway (R5, check 5): provisioned and Running, with at least one backend
 * pool and one routing rule, so that scaling out the API is all an activation needs.
 */
import type { Check, Outcome } from '../src/core/result.js';
import { describeError, fail, pass } from '../src/core/result.js';
import type { Gateway } from '../src/core/ports.js';

/** The outcome when an Azure resource cannot be read: missing (404) is said plainly. */
export function unreadable(what: string, err: unknown): Outcome {
  const missing = (err as { statusCode?: number }).statusCode === 404;
  return fail(missing ? `${what} does not exist` : `${what} could not be read: ${describeError(err)}`, { resource: what });
}

export function gatewayCheck(gateway: Gateway): Check {
  const name = gateway.name;
  return {
    id: 'app-gateway',
    title: `the application gateway ${name} is provisioned and running`,
    async run(ctx) {
      let state;
      try {
        state = await gateway.get(ctx.signal);
      } catch (err) {
        return unreadable(`the application gateway ${name}`, err);
      }
      const evidence = { ...state };
      const measurements = { backendPools: state.backendPools, routingRules: state.routingRules };
      const problems: string[] = [];
      if (state.provisioningState !== 'Succeeded') problems.push(`its provisioning state is ${state.provisioningState}, not Succeeded`);
      if (state.operationalState !== 'Running') problems.push(`it is ${state.operationalState}, not Running`);
      if (state.backendPools < 1) problems.push('it has no backend pool');
      if (state.routingRules < 1) problems.push('it has no routing rule');
      if (problems.length) return fail(`the application gateway ${name} is not ready: ${problems.join('; ')}`, evidence, measurements);
      const address = state.publicIp ? ` on ${state.publicIp}` : '';
      return pass(`the application gateway ${name} is provisioned and running${address}, with ${state.backendPools} backend pool(s) and ${state.routingRules} routing rule(s)`, evidence, measurements);
    },
  };
}
