/**
 * Reads a field out of a loosely typed payload. The normalisers use these for fields that unknown event
 * types may or may not carry; for known types the schemas have already checked the types.
 */

/** The value at `path` when every step is a plain object, else undefined. */
export function valueAt(value: unknown, ...path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A non-empty string at `path`, else undefined (null, absent, other types and `''` all read as absent). */
export function textAt(value: unknown, ...path: readonly string[]): string | undefined {
  const found = valueAt(value, ...path);
  return typeof found === 'string' && found.length > 0 ? found : undefined;
}

/** Like {@link textAt}, but a safe integer reads as its decimal string (ATS ids may be numbers). */
export function idAt(value: unknown, ...path: readonly string[]): string | undefined {
  const found = valueAt(value, ...path);
  if (typeof found === 'number' && Number.isSafeInteger(found)) return String(found);
  return textAt(found);
}

/** Copies `entries` without the undefined ones, so optional envelope fields are absent rather than undefined. */
export function withoutUndefined<T extends Record<string, unknown>>(entries: T): Partial<T> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Partial<T>;
}
