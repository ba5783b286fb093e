/**
 * Environment overrides: `DRSENTINEL__SECTION__FIELD=value` sets `section.field` of the
 * config. Each segment is matched against the schema's property names ignoring case and
 * underscores, so `DRSENTINEL__SYNC__RPO_HOURS` sets `sync.rpoHours`. The value is read as
 * the schema's type: integers, numbers and booleans as such, strings as they are, objects,
 * arrays and secret references as JSON (`DRSENTINEL__AZURE__COSMOS__KEY={"env":"COSMOS_KEY"}`).
 */
import type { TSchema } from '@sinclair/typebox';
import type { ConfigProblem } from './problems.js';

export const ENV_PREFIX = 'DRSENTINEL__';

/** Which variable set which JSON path, so later validation errors can blame the variable. */
export interface AppliedOverride {
  variable: string;
  path: string;
}

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const normalise = (name: string) => name.replace(/_/g, '').toLowerCase();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLiteralUnion(schema: TSchema): boolean {
  return Array.isArray(schema.anyOf) && schema.anyOf.every((s: TSchema) => typeof s.const === 'string');
}

function coerce(schema: TSchema, raw: string): Coerced {
  const text = raw.trim();
  switch (schema.type) {
    case 'integer':
      return /^[+-]?\d+$/.test(text) ? { ok: true, value: Number(text) } : { ok: false, message: 'must be an integer' };
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? { ok: true, value: Number(text) } : { ok: false, message: 'must be a number' };
    case 'boolean':
      if (/^(true|1)$/i.test(text)) return { ok: true, value: true };
      if (/^(false|0)$/i.test(text)) return { ok: true, value: false };
      return { ok: false, message: 'must be true or false' };
    case 'string':
      return { ok: true, value: raw };
  }
  if (isLiteralUnion(schema)) return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    // The value may be a secret someone pasted by mistake: never echo it.
    return { ok: false, message: 'must be JSON (an object or a list), for example {"env":"NAME"}' };
  }
}

/**
 * Applies every `DRSENTINEL__…` variable to `doc` (mutated). Variables are applied in name
 * order so the outcome does not depend on the environment's ordering.
 */
export function applyEnvOverrides(
  doc: Record<string, unknown>,
  schema: TSchema,
  env: NodeJS.ProcessEnv,
): { applied: AppliedOverride[]; problems: ConfigProblem[] } {
  const applied: AppliedOverride[] = [];
  const problems: ConfigProblem[] = [];
  const variables = Object.keys(env).filter((k) => k.startsWith(ENV_PREFIX)).sort();
  for (const variable of variables) {
    const segments = variable.slice(ENV_PREFIX.length).split('__');
    const file = `$${variable}`;
    let node: TSchema = schema;
    let target: Record<string, unknown> = doc;
    const path: string[] = [];
    let failed = false;
    for (const [i, segment] of segments.entries()) {
      const properties = node.properties as Record<string, TSchema> | undefined;
      const name = properties && segment !== '' ? Object.keys(properties).find((p) => normalise(p) === normalise(segment)) : undefined;
      if (!properties || !name) {
        path.push(segment.toLowerCase());
        problems.push({ file, path: '/' + path.join('/'), message: 'unknown field: no config setting has this name' });
        failed = true;
        break;
      }
      path.push(name);
      node = properties[name]!;
      if (i === segments.length - 1) break;
      const next = target[name];
      if (next === undefined || next === null) target[name] = {};
      else if (!isPlainObject(next)) {
        problems.push({ file, path: '/' + path.join('/'), message: 'cannot be applied: this field is not a mapping in the config file' });
        failed = true;
        break;
      }
      target = target[name] as Record<string, unknown>;
    }
    if (failed) continue;
    const coerced = coerce(node, env[variable] ?? '');
    const pointer = '/' + path.join('/');
    if (!coerced.ok) {
      problems.push({ file, path: pointer, message: coerced.message });
      continue;
    }
    target[path[path.length - 1]!] = coerced.value;
    applied.push({ variable, path: pointer });
  }
  return { applied, problems };
}
