/**
 * Tagged templates that escape every interpolated value by default. A value is inserted
 * verbatim only when it is itself the output of the same tag (a nested fragment), so a
 * template can compose rows and sections but never splice in raw text by accident.
 */

class Fragment {
  constructor(
    readonly language: 'html' | 'md',
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

export type Html = Fragment & { readonly language: 'html' };
export type Markdown = Fragment & { readonly language: 'md' };

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/**
 * Plain text inside Markdown, including table cells: the characters that make emphasis,
 * code, links, inline HTML or a table column get a backslash (CommonMark renders it
 * literally), as does a leading heading or list marker (a value may follow `- `); line
 * breaks become spaces so a value cannot end a table row. Dates, numbers and sentences
 * stay readable in the plain-text e-mail.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>|~]/g, '\\$&')
    .replace(/^([#+-])(?=\s|$)/, '\\$1')
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
}

type Value = Fragment | string | number | boolean | null | undefined | readonly Value[];

function tag(language: Fragment['language'], escape: (text: string) => string) {
  const insert = (value: Value): string => {
    if (value === null || value === undefined) return '';
    if (Array.isArray(value)) return value.map(insert).join('');
    if (value instanceof Fragment) {
      if (value.language !== language) throw new TypeError(`a ${value.language} fragment cannot be inserted into ${language}`);
      return value.text;
    }
    return escape(String(value));
  };
  return (strings: TemplateStringsArray, ...values: Value[]): Fragment =>
    new Fragment(language, strings.reduce((out, part, i) => out + part + (i < values.length ? insert(values[i]!) : ''), ''));
}

export const html = tag('html', escapeHtml) as (strings: TemplateStringsArray, ...values: Value[]) => Html;
export const md = tag('md', escapeMarkdown) as (strings: TemplateStringsArray, ...values: Value[]) => Markdown;
