/** `rawEventKey` (functions/queue/raw-events.ts): one S3 key per delivery, always within S3's 1,024 bytes. */
import { describe, expect, it } from '@jest/globals';
import { rawEventKey } from '../../../functions/queue/raw-events.js';

const day = new Date('2026-12-03T07:00:00Z');

describe('rawEventKey', () => {
  it('keeps a dedupe key of ordinary length as its percent-encoding', () => {
    expect(rawEventKey('round0', day, 'round0:evt_1/2')).toBe(
      'raw/round0/2026-12-03/round0%3Aevt_1%2F2.json',
    );
  });

  it.each([
    ['slashes (tripled by encoding)', `micro1:interview.started:${'a/'.repeat(127)}a:${'a/'.repeat(127)}a`],
    ['CJK characters (9 bytes each encoded)', `round0:${'面'.repeat(255)}`],
    // 999 characters encoded: over the segment's 512, under S3's 1,024 on its own, over it with the prefix.
    ['CJK characters encoding to 999 characters', `round0:${'面'.repeat(110)}`],
  ])('bounds a long dedupe key of %s, one key per dedupe key', (_, dedupeKey) => {
    const key = rawEventKey('micro1', day, dedupeKey);
    const other = rawEventKey('micro1', day, `${dedupeKey}x`);
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
    expect(key).toMatch(/^raw\/micro1\/2026-12-03\/[A-Za-z0-9%._~!*'()-]+~[0-9a-f]{64}\.json$/);
    expect(key).not.toMatch(/%[0-9A-F]?~/i);
    expect(other).not.toBe(key);
    expect(rawEventKey('micro1', day, dedupeKey)).toBe(key);
  });
});
