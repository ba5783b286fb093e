/**
 * Loads the config: YAML file → environment overrides → schema defaults → validation.
 * Every problem found is collected and reported at once, each naming its file (or the
 * environment variable that set the value) and its JSON path.
 *
 * Relative paths in the config (service.stateDir, secret files, CA files — every field the
 * schema marks `filePath`) are resolved against the folder of the config file, wherever
 * the value came from, so a config means the same thing whatever the working directory.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { applyEnvOverrides, type AppliedOverride } from './env.js';
import { ConfigSchema, type Config, type SecretRef } from './schema.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import { readSecret } from './secrets.js';

export interface LoadedConfig {
  file: string;
  config: Config;
}

const SECRET_SHAPES = 'must be { env: NAME } or { file: PATH } — secrets are never written in the config';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readYaml(file: string): { doc?: Record<string, unknown>; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problems: [{ file, path: '', message: `file cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  const lines = new LineCounter();
  const parsed = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (parsed.errors.length > 0) {
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const err of parsed.errors) {
      const { line, col } = lines.linePos(err.pos[0]);
      if (seen.has(`${line}:${col}`)) continue;
      seen.add(`${line}:${col}`);
      problems.push({ file, path: '', message: `YAML syntax error at ${line}:${col}: ${err.message}` });
    }
    return { problems };
  }
  const value: unknown = parsed.toJS();
  if (value === null || value === undefined) return { doc: {}, problems: [] };
  if (!isPlainObject(value)) return { problems: [{ file, path: '', message: 'must be a mapping of sections (service, auth, aws, azure, …)' }] };
  return { doc: value, problems: [] };
}

/** Calls `fn` for every value whose schema is marked with `key`, walking objects, lists and unions. */
type Visitor = (value: unknown, pointer: string, set: (v: unknown) => void, schema: TSchema) => void;

function visitMarked(schema: TSchema, value: unknown, pointer: string, key: 'filePath' | 'secret', fn: Visitor, set: (v: unknown) => void = () => {}): void {
  if (schema[key] === true) {
    fn(value, pointer, set, schema);
    if (key === 'secret') return;
  }
  if (isPlainObject(value) && isPlainObject(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties as Record<string, TSchema>)) {
      if (name in value) visitMarked(sub, value[name], `${pointer}/${name}`, key, fn, (v) => (value[name] = v));
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => visitMarked(schema.items as TSchema, item, `${pointer}/${i}`, key, fn, (v) => (value[i] = v)));
  }
  if (Array.isArray(schema.anyOf)) for (const member of schema.anyOf as TSchema[]) visitMarked(member, value, pointer, key, fn, set);
}

function describeNumber(kind: string, schema: TSchema): string {
  const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
  if (minimum !== undefined && maximum !== undefined) return `must be ${kind} between ${minimum} and ${maximum}`;
  if (minimum !== undefined) return `must be ${kind} ≥ ${minimum}`;
  if (maximum !== undefined) return `must be ${kind} ≤ ${maximum}`;
  return `must be ${kind}`;
}

/** One message a person understands, from what the schema wants rather than TypeBox's wording. */
function describe(error: ValueError): string {
  const schema = error.schema;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return describeNumber('an integer', schema);
    case ValueErrorType.Number:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return describeNumber('a number', schema);
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.String:
      return 'must be text';
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters long`;
    case ValueErrorType.StringPattern:
      return schema.expected ? `must be ${schema.expected}` : `must match ${schema.pattern}`;
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`;
    case ValueErrorType.Object:
      return 'must be a mapping (field: value)';
    case ValueErrorType.Union: {
      if (schema.secret) return SECRET_SHAPES;
      const members = schema.anyOf as TSchema[];
      if (members.every((m) => typeof m.const === 'string')) return `must be one of: ${members.map((m) => m.const).join(', ')}`;
      return 'has none of the accepted shapes';
    }
    default:
      return error.message;
  }
}

/** Required and unknown-field errors say the most; otherwise the first error of a path wins. */
function schemaProblems(value: unknown): Array<{ path: string; message: string }> {
  const byPath = new Map<string, ValueError>();
  const rank = (e: ValueError) => (e.type === ValueErrorType.ObjectRequiredProperty || e.type === ValueErrorType.ObjectAdditionalProperties ? 0 : 1);
  for (const error of Value.Errors(ConfigSchema, value)) {
    const known = byPath.get(error.path);
    if (!known || rank(error) < rank(known)) byPath.set(error.path, error);
  }
  return [...byPath.values()].map((e) => ({ path: e.path, message: describe(e) }));
}

function distinctNames(names: Record<string, unknown> | undefined, pointer: string, what: string): Array<{ path: string; message: string }> {
  if (!isPlainObject(names)) return [];
  const problems: Array<{ path: string; message: string }> = [];
  const firstHolder = new Map<unknown, string>();
  for (const [key, name] of Object.entries(names)) {
    const earlier = firstHolder.get(name);
    if (typeof name === 'string' && earlier) problems.push({ path: `${pointer}/${key}`, message: `must differ from ${what}.${earlier}` });
    else firstHolder.set(name, key);
  }
  return problems;
}

/** What the schema cannot say: relations between fields, and whether secrets can be read. */
function semanticProblems(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const c = config as { [k: string]: Record<string, any> | undefined };
  const { proceedRatio, ctoRatio } = c.activation ?? {};
  if (typeof proceedRatio === 'number' && typeof ctoRatio === 'number' && ctoRatio > proceedRatio) {
    problems.push({ path: '/activation/ctoRatio', message: `must not be greater than proceedRatio (${proceedRatio})` });
  }
  const tokens: unknown = c.auth?.tokens;
  if (Array.isArray(tokens)) {
    const firstIndex = new Map<string, number>();
    const firstNamed = new Map<string, number>();
    tokens.forEach((token, i) => {
      const { sha256: hash, name } = isPlainObject(token) ? token : {};
      // The audit and four eyes tell people apart by name: two holders may not share one.
      if (typeof name === 'string') {
        const named = firstNamed.get(name);
        if (named === undefined) firstNamed.set(name, i);
        else problems.push({ path: `/auth/tokens/${i}/name`, message: `"${name}" is token ${named}'s name too: every token holder needs a name of their own` });
      }
      if (typeof hash !== 'string') return;
      const earlier = firstIndex.get(hash);
      if (earlier === undefined) firstIndex.set(hash, i);
      else problems.push({ path: `/auth/tokens/${i}/sha256`, message: `is the same as token ${earlier}'s: every token must be distinct` });
    });
  }
  problems.push(...distinctNames(c.aws?.s3?.buckets, '/aws/s3/buckets', 'buckets'));
  problems.push(...distinctNames(c.azure?.blob?.containers, '/azure/blob/containers', 'containers'));
  visitMarked(ConfigSchema, config, '', 'secret', (ref, pointer, _set, schema) => {
    // A ref of the wrong shape is already a schema problem.
    if (!Value.Check(schema, ref)) return;
    try {
      readSecret(ref as SecretRef, env);
    } catch (err) {
      problems.push({ path: pointer, message: (err as Error).message });
    }
  });
  return problems;
}

function blame(file: string, applied: AppliedOverride[]) {
  return (p: { path: string; message: string }): ConfigProblem => {
    const override = applied.find((o) => p.path === o.path || p.path.startsWith(`${o.path}/`));
    return { file: override ? `$${override.variable}` : file, ...p };
  };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { doc, problems } = readYaml(file);
  if (!doc) throw new ConfigError(problems);
  const overrides = applyEnvOverrides(doc, ConfigSchema, env);
  problems.push(...overrides.problems);

  const value = Value.Default(ConfigSchema, structuredClone(doc)) as Record<string, unknown>;
  const folder = dirname(resolve(file));
  visitMarked(ConfigSchema, value, '', 'filePath', (path, _pointer, set) => {
    if (typeof path === 'string' && path !== '' && !isAbsolute(path)) set(resolve(folder, path));
  });

  const toProblem = blame(file, overrides.applied);
  problems.push(...schemaProblems(value).map(toProblem), ...semanticProblems(value, env).map(toProblem));
  if (problems.length > 0) throw new ConfigError(problems);
  return { file: resolve(file), config: value as Config };
}
