/**
 * The fault suite's effect audit (test/faults/audit.ts) on its own: what it must refuse.
 */
import { effectDifference } from '../../faults/audit.js';

describe('fault audit: effectDifference', () => {
  it('accepts each expected effect once, a pattern matching a hashed key', () => {
    // Act
    const difference = effectDifference(
      ['m:r:status', 'm:r:links:aaaa', 'm:r:links:bbbb'],
      ['m:r:status', /^m:r:links:[0-9a-f]+$/, /^m:r:links:[0-9a-f]+$/],
    );

    // Assess
    expect(difference).toEqual({ missing: [], unexpected: [] });
  });

  it('reports one links write made twice and the other never, which two patterns could both take', () => {
    // Act
    const difference = effectDifference(
      ['m:r:status', 'm:r:links:aaaa', 'm:r:links:aaaa'],
      ['m:r:status', /^m:r:links:[0-9a-f]+$/, /^m:r:links:[0-9a-f]+$/],
    );

    // Assess
    expect(difference).toEqual({ missing: ['/^m:r:links:[0-9a-f]+$/'], unexpected: ['m:r:links:aaaa'] });
  });

  it('reports an exact effect written twice', () => {
    // Act
    const difference = effectDifference(['m:r:note', 'm:r:note'], ['m:r:note']);

    // Assess
    expect(difference).toEqual({ missing: [], unexpected: ['m:r:note'] });
  });
});
