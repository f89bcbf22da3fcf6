/** `--since`/`--until` of `ops replay` (local/ops/raw-store.ts `parseWhen`): UTC days and offset times only. */
import { describe, expect, it } from '@jest/globals';
import { parseWhen } from '../../../local/ops/raw-store.js';

const iso = (text: string, edge: 'start' | 'end') => parseWhen(text, edge)?.toISOString();

describe('parseWhen', () => {
  it('reads a day as its UTC start or last millisecond, and a time with its offset', () => {
    expect(iso('2024-02-29', 'start')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2024-02-29', 'end')).toBe('2024-02-29T23:59:59.999Z');
    expect(iso('2024-05-01T12:00:00Z', 'start')).toBe('2024-05-01T12:00:00.000Z');
    expect(iso('2024-05-01T12:00+02:00', 'end')).toBe('2024-05-01T10:00:00.000Z');
    expect(iso('2024-05-01T12:00:00.250-05:00', 'start')).toBe('2024-05-01T17:00:00.250Z');
  });

  it.each([
    ['a day that does not exist', '2024-02-30'],
    ['a day that does not exist, in a time', '2023-02-29T10:00:00Z'],
    ['a time without its offset (the time zone would decide)', '2024-05-01T12:00:00'],
    ['a month out of range', '2024-13-01'],
    ['words', 'yesterday'],
    ['an empty value', ''],
  ])('refuses %s', (_, text) => {
    expect(parseWhen(text, 'start')).toBeUndefined();
    expect(parseWhen(text, 'end')).toBeUndefined();
  });
});
