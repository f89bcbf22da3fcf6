/** The ops commands' small formatters (local/ops/format.ts): sizes in their unit, long lists capped. */
import { describe, expect, it } from '@jest/globals';
import { capped, humanSize } from '../../../local/ops/format.js';

describe('ops output formatting', () => {
  it('gives a size in the largest unit it reaches', () => {
    // Act
    const sizes = [0, 1023, 1024, 1024 ** 2 - 1, 1024 ** 2, 5.5 * 1024 ** 2, 1024 ** 3, 3 * 1024 ** 3].map(
      humanSize,
    );

    // Assess
    expect(sizes).toEqual(['0 B', '1023 B', '1.0 KB', '1024.0 KB', '1.0 MB', '5.5 MB', '1.00 GB', '3.00 GB']);
  });

  it('shows every item of a list at its cap, and of a longer one the first up to the cap, then how many more', () => {
    // Act
    const atCap = capped(['a', 'b', 'c'], 3, (item) => `- ${item}`);
    const over = capped(['a', 'b', 'c', 'd', 'e'], 3, (item) => `- ${item}`);

    // Assess
    expect(atCap).toEqual(['- a', '- b', '- c']);
    expect(over).toEqual(['- a', '- b', '- c', '… and 2 more']);
  });
});
