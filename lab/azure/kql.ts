/**
 * The small part of KQL (Kusto) the Monitor twin understands: a table, then piped
 * `where Col == "text"`, `where isnotempty(Col)`, `project A, B`, `summarize Name = count() by Col`
 * and `order by Col asc|desc`. That covers drsentinel's own queries; anything else is refused
 * the way Log Analytics refuses a query it cannot run, so a changed query fails loudly in tests.
 */
export type ColumnType = 'string' | 'datetime' | 'bool' | 'long' | 'real' | 'dynamic';
export interface Column {
  name: string;
  type: ColumnType;
}
export type Row = Record<string, unknown>;
export interface Table {
  columns: Column[];
  rows: Row[];
}

/** A query the twin cannot run; the twin answers 400 BadArgumentError with its message. */
export class KqlError extends Error {}

/** Splits on `|` outside string literals. */
function stages(query: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      current += c;
      if (c === '\\') current += query[++i] ?? '';
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (c === '|') {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  if (quote) throw new KqlError('Syntax error: the query has an unterminated string literal.');
  parts.push(current.trim());
  return parts;
}

const IDENT = '([A-Za-z_][A-Za-z0-9_]*)';
const STRING = `("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*')`;

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/\\(.)/g, '$1');
}

function column(table: Table, name: string, operator: string): Column {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new KqlError(`'${operator}' operator: Failed to resolve scalar expression named '${name}'`);
  return found;
}

function apply(table: Table, stage: string): Table {
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^where\\s+${IDENT}\\s*==\\s*${STRING}$`).exec(stage))) {
    const col = column(table, m[1]!, 'where').name;
    const value = unquote(m[2]!);
    return { ...table, rows: table.rows.filter((r) => r[col] === value) };
  }
  if ((m = new RegExp(`^where\\s+isnotempty\\(\\s*${IDENT}\\s*\\)$`).exec(stage))) {
    const col = column(table, m[1]!, 'where').name;
    return { ...table, rows: table.rows.filter((r) => r[col] !== undefined && r[col] !== null && r[col] !== '') };
  }
  if ((m = new RegExp(`^project\\s+(${IDENT}(?:\\s*,\\s*${IDENT})*)$`).exec(stage))) {
    const columns = m[1]!.split(',').map((name) => column(table, name.trim(), 'project'));
    return { columns, rows: table.rows };
  }
  if ((m = new RegExp(`^summarize\\s+${IDENT}\\s*=\\s*count\\(\\)\\s+by\\s+${IDENT}$`).exec(stage))) {
    const [, countName, by] = m as unknown as [string, string, string];
    const key = column(table, by, 'summarize');
    const counts = new Map<unknown, number>();
    for (const row of table.rows) counts.set(row[by], (counts.get(row[by]) ?? 0) + 1);
    return { columns: [key, { name: countName, type: 'long' }], rows: [...counts].map(([value, n]) => ({ [by]: value, [countName]: n })) };
  }
  if ((m = new RegExp(`^(?:order|sort)\\s+by\\s+${IDENT}(?:\\s+(asc|desc))?$`).exec(stage))) {
    const col = column(table, m[1]!, 'order').name;
    // Kusto sorts descending unless told otherwise.
    const sign = m[2] === 'asc' ? 1 : -1;
    const key = (r: Row) => (r[col] instanceof Date ? (r[col] as Date).getTime() : (r[col] as number | string));
    return { ...table, rows: [...table.rows].sort((a, b) => (key(a) < key(b) ? -sign : key(a) > key(b) ? sign : 0)) };
  }
  const operator = stage.split(/\s/)[0] ?? '';
  throw new KqlError(`Query could not be parsed at '${operator}': the lab's Monitor twin does not run "${stage}".`);
}

function cell(value: unknown, type: ColumnType): unknown {
  if (value === undefined || value === null) return null;
  if (type === 'datetime') return (value as Date).toISOString();
  // Log Analytics sends dynamic values as JSON text; the SDK parses them back.
  if (type === 'dynamic') return JSON.stringify(value);
  return value;
}

/** Runs `query` over `tables`; the answer's body in the Log Analytics format. */
export function runKql(query: string, tables: Record<string, Table>): { tables: Array<{ name: string; columns: Column[]; rows: unknown[][] }> } {
  const [source = '', ...rest] = stages(query.trim());
  const start = tables[source];
  if (!start) throw new KqlError(`'${source}' is not a table in this workspace (tables: ${Object.keys(tables).join(', ')}).`);
  const result = rest.reduce(apply, start);
  const rows = result.rows.map((row) => result.columns.map((c) => cell(row[c.name], c.type)));
  return { tables: [{ name: 'PrimaryResult', columns: result.columns, rows }] };
}
