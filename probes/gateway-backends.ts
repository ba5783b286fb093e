/**
 * The gateway's backends (R10): every backend server is Healthy by Azure's own probe, and
 * there is at least one. Each unhealthy server is named with Azure's explanation.
 */
import type { Check } from '../src/core/result.js';
import { fail, pass } from '../src/core/result.js';
import type { Gateway } from '../src/core/ports.js';
import { unreadable } from './app-gateway.js';

export function gatewayBackendsCheck(gateway: Gateway): Check {
  const name = gateway.name;
  return {
    id: 'gateway-backends',
    title: `every backend of the application gateway ${name} is healthy`,
    async run(ctx) {
      let servers;
      try {
        servers = await gateway.backendHealth(ctx.signal);
      } catch (err) {
        return unreadable(`the backend health of the application gateway ${name}`, err);
      }
      const unhealthy = servers.filter((s) => s.health !== 'Healthy');
      const evidence = { gateway: name, servers };
      const measurements = { servers: servers.length, healthy: servers.length - unhealthy.length };
      if (servers.length === 0) return fail(`the application gateway ${name} has no backend server to send traffic to`, evidence, measurements);
      if (unhealthy.length) {
        const which = unhealthy.map((s) => `${s.address} is ${s.health}${s.detail ? ` (${s.detail})` : ''}`).join('; ');
        return fail(`${unhealthy.length} of ${servers.length} backends of the application gateway ${name} are not healthy: ${which}`, evidence, measurements);
      }
      return pass(`all ${servers.length} backends of the application gateway ${name} are healthy`, evidence, measurements);
    },
  };
}
