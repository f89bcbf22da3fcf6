/**
 * `npm run bench`'s settings (local/bench/settings.ts): every ratio over at least 5 interleaved rounds.
 */
import { benchSettings } from '../../../local/bench/settings.js';

describe('benchSettings', () => {
  it('runs every comparison over 5 rounds by default, the archive’s included, and refuses fewer', () => {
    // Act
    const defaults = benchSettings({});

    // Assess
    expect(defaults.rounds).toBe(5);
    expect(defaults.archiveRounds).toBe(5);
    expect(() => benchSettings({ BENCH_ROUNDS: '3' })).toThrow('expected a number ≥ 5, got 3');
    expect(() => benchSettings({ BENCH_ARCHIVE_ROUNDS: '3' })).toThrow('expected a number ≥ 5, got 3');
  });
});
