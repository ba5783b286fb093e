/**
 * Adapters built by `buildAdapters` from the lab's own drsentinel.yaml, pointed at a fresh
 * bucket, container or table, so every contract test starts from an empty store and runs
 * the production wiring (clients built from config, secrets read from files).
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { buildAdapters, type Adapters } from '../../src/adapters/index.js';
import { buildControlPlane, type ControlPlane } from '../../src/adapters/control.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { labClients, type LabClients } from '../../lab/clients.js';
import type { Lab } from '../../lab/index.js';

export const freshName = (prefix: string) => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 12)}`;

export function labSdk(t: Test, lab: Lab): LabClients {
  const clients = labClients(lab.endpoints);
  t.teardown(() => clients.destroy());
  return clients;
}

export function adaptersFor(t: Test, lab: Lab, patch: (config: Config) => void): Adapters {
  const config = structuredClone(loadConfig(lab.configFile).config);
  patch(config);
  const adapters = buildAdapters(config);
  t.teardown(() => adapters.close());
  return adapters;
}

/** The control-plane adapters (ARM, Key Vault, Monitor…) from the lab's own drsentinel.yaml. */
export function controlFor(t: Test, lab: Lab): ControlPlane {
  const control = buildControlPlane(loadConfig(lab.configFile).config);
  t.teardown(() => control.close());
  return control;
}
