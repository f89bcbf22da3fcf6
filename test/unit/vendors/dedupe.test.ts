import { canonicalJson, contentDedupeKey } from '../../../functions/vendors/index.js';

describe('canonicalJson', () => {
  it('sorts object keys recursively and keeps array order', () => {
    // Prepare
    const value = { b: [{ z: 1, a: 2 }, 3], a: { d: null, c: 'x' } };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"a":{"c":"x","d":null},"b":[{"a":2,"z":1},3]}');
  });

  it('writes what JSON.parse reads back to the same value', () => {
    // Prepare
    const value = { text: 'quote " and \\ and ü', n: -1.5e-7, t: true, empty: {}, list: [] };

    // Act
    const roundTrip = JSON.parse(canonicalJson(value));

    // Assess
    expect(roundTrip).toStrictEqual(value);
  });

  it('drops undefined object entries as JSON.stringify does', () => {
    // Act
    const json = canonicalJson({ a: undefined, b: 1 });

    // Assess
    expect(json).toBe('{"b":1}');
  });
});

describe('contentDedupeKey', () => {
  it('is vendor:event:sha256:hex and independent of key order', () => {
    // Act
    const key = contentDedupeKey('micro1', 'a.b', { x: 1, y: { p: 1, q: 2 } });
    const reordered = contentDedupeKey('micro1', 'a.b', { y: { q: 2, p: 1 }, x: 1 });

    // Assess
    expect(key).toMatch(/^micro1:a\.b:sha256:[0-9a-f]{64}$/);
    expect(reordered).toBe(key);
  });

  it('changes with any value, the vendor or the event type', () => {
    // Prepare
    const base = contentDedupeKey('micro1', 'a.b', { x: 1 });

    // Act
    const others = [
      contentDedupeKey('micro1', 'a.b', { x: 2 }),
      contentDedupeKey('micro1', 'a.b', { x: '1' }),
      contentDedupeKey('round0', 'a.b', { x: 1 }),
      contentDedupeKey('micro1', 'a.c', { x: 1 }),
    ];

    // Assess
    expect(new Set([base, ...others]).size).toBe(5);
  });
});
