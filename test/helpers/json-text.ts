/**
 * JSON documents written out byte by byte the way a hostile or merely unusual sender might: duplicated keys,
 * `__proto__` members, letters escaped as `\u0061`, other indentation, nesting spliced in as raw text. The
 * fuzz needs the bytes (a signature covers bytes) and knows exactly which value a parser ends up with.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Text spliced in where a value goes, e.g. nesting too deep to build as an object. */
export interface RawJson {
  readonly rawJson: string;
}

/**
 * A member written into the object at `at` besides its own members: `first` before them (a same-named own
 * member then wins, the last duplicate being what JSON.parse keeps), `last` after them (it wins).
 */
export interface ExtraMember {
  readonly at: readonly string[];
  readonly key: string;
  readonly value: Json | RawJson;
  readonly position: 'first' | 'last';
}

export interface TextStyle {
  readonly indent: '' | '  ' | '\t';
  /**
   * Which characters of strings (keys and values) are written as `\uXXXX`: the parsed value is the same,
   * the bytes are not. Unpaired surrogates are always escaped (raw, they are not UTF-8).
   */
  readonly escape: 'none' | 'ascii-letters' | 'non-ascii';
}

export const plainStyle: TextStyle = { indent: '', escape: 'none' };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Characters written as they are in every style (JSON.stringify writes them the same way). */
const plain = /^[ !#-[\]-~]*$/;

const stringLiteral = (text: string, style: TextStyle): string => {
  if (style.escape !== 'ascii-letters' && plain.test(text)) return `"${text}"`;
  let out = '"';
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const char = text[i] ?? '';
    const pairedHigh = isHigh(code) && isLow(text.charCodeAt(i + 1));
    const pairedLow = isLow(code) && isHigh(text.charCodeAt(i - 1));
    const unpaired = (isHigh(code) || isLow(code)) && !pairedHigh && !pairedLow;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code < 0x20 || unpaired) out += hex4(code);
    else if (style.escape === 'ascii-letters' && /[a-zA-Z]/.test(char)) out += hex4(code);
    else if (style.escape === 'non-ascii' && code > 0x7e) out += hex4(code);
    else out += char;
  }
  return `${out}"`;
};

/** `value` as JSON text in `style`, with `extras` written into the objects they name. */
export const jsonText = (value: Json, style: TextStyle = plainStyle, extras: readonly ExtraMember[] = []) => {
  const extrasAt = new Map<string, ExtraMember[]>();
  for (const extra of extras) {
    const key = extra.at.map((name) => `\u0000${name}`).join('');
    extrasAt.set(key, [...(extrasAt.get(key) ?? []), extra]);
  }
  const newline = style.indent === '' ? '' : '\n';
  const colon = style.indent === '' ? ':' : ': ';
  const member = (key: string, item: Json | RawJson) => [key, item] as const;
  /** Names and indexes leading to a value, each after a `\u0000`; not tracked without extras. */
  const childPath = (path: string | undefined, key: string) =>
    path === undefined || extrasAt.size === 0 ? undefined : `${path}\u0000${key}`;

  const write = (current: Json | RawJson, path: string | undefined, depth: number): string => {
    if (typeof current === 'object' && current !== null && 'rawJson' in current && !Array.isArray(current)) {
      return String(current.rawJson);
    }
    const inner = style.indent.repeat(depth + 1);
    const outer = style.indent.repeat(depth);
    if (Array.isArray(current)) {
      if (current.length === 0) return '[]';
      const items = current.map(
        (item, index) => `${inner}${write(item, childPath(path, String(index)), depth + 1)}`,
      );
      return `[${newline}${items.join(`,${newline}`)}${newline}${outer}]`;
    }
    if (isObject(current)) {
      const here = (path === undefined ? undefined : extrasAt.get(path)) ?? [];
      const members = [
        ...here.filter((extra) => extra.position === 'first').map((extra) => member(extra.key, extra.value)),
        ...Object.keys(current).map((key) => member(key, current[key] as Json)),
        ...here.filter((extra) => extra.position === 'last').map((extra) => member(extra.key, extra.value)),
      ];
      if (members.length === 0) return '{}';
      const written = members.map(
        ([key, item]) =>
          `${inner}${stringLiteral(key, style)}${colon}${write(item, childPath(path, key), depth + 1)}`,
      );
      return `{${newline}${written.join(`,${newline}`)}${newline}${outer}}`;
    }
    if (typeof current === 'string') return stringLiteral(current, style);
    return JSON.stringify(current);
  };
  return write(value, '', 0);
};

/** Sets an own member, whatever its name: `doc.__proto__ = x` would set the prototype instead. */
export const setOwn = (object: JsonObject, key: string, value: Json): void => {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
};

/** The value at `path` (array items by index), or `undefined` when a step is missing. */
export const valueAtPath = (value: Json, path: readonly string[]): Json | undefined => {
  let current: Json | undefined = value;
  for (const key of path) {
    if (Array.isArray(current)) current = /^\d+$/.test(key) ? current[Number(key)] : undefined;
    else if (isObject(current) && Object.hasOwn(current, key)) current = current[key];
    else return undefined;
  }
  return current;
};

/** Sets (or with `undefined`, deletes) the member or item at `path`; a no-op when its parent is missing. */
export const setAtPath = (root: JsonObject, path: readonly string[], value: Json | undefined): void => {
  const parent = valueAtPath(root, path.slice(0, -1));
  const key = path.at(-1);
  if (key === undefined) return;
  if (Array.isArray(parent) && /^\d+$/.test(key) && Number(key) < parent.length) {
    if (value === undefined) parent.splice(Number(key), 1);
    else parent[Number(key)] = value;
  } else if (isObject(parent)) {
    if (value === undefined) delete parent[key];
    else setOwn(parent, key, value);
  }
};

/** The same document with every object's members in another order (what JSON.parse yields is unchanged). */
export const reorderKeys = (value: Json, order: 'reversed' | 'sorted'): Json => {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, order));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  const ordered = order === 'sorted' ? [...keys].sort() : [...keys].reverse();
  const copy: JsonObject = {};
  for (const key of ordered) setOwn(copy, key, reorderKeys(value[key] as Json, order));
  return copy;
};

/** `levels` nested containers as text, e.g. `[[[]]]` or `{"a":{"a":{}}}` (built without recursion). */
export const nestedText = (levels: number, kind: 'array' | 'object'): string =>
  kind === 'array'
    ? `${'['.repeat(levels)}${']'.repeat(levels)}`
    : `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
