/**
 * BENCHMARKS.md's provenance lines (local/bench/report.ts): a part kept from an earlier run says when the
 * code it measured has changed since, so stale figures are never read as the current code's.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';
import { renderBenchmarks, resultsDir } from '../../../local/bench/report.js';

// The stored results, each part recorded at a commit of its own (whatever the committed ones hold).
const dir = mkdtempSync(join(tmpdir(), 'bench-provenance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
cpSync(resultsDir, dir, { recursive: true });
const commits: Record<string, string> = { ingest: 'aaaaaaa', worker: 'aaaaaaa', archive: 'bbbbbbb' };
for (const [part, commit] of Object.entries(commits)) {
  const file = join(dir, `${part}.json`);
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), commit }));
}

describe('renderBenchmarks provenance', () => {
  it('flags the section of a part whose measured code changed since, and only it', () => {
    // Act: the archive's commit is older than changes to the archive's code
    const markdown = renderBenchmarks(dir, (commit) =>
      commit === 'bbbbbbb' ? ['functions/archive', 'functions/platform'] : [],
    );
    const unflagged = renderBenchmarks(dir);

    // Assess
    const archiveAt = markdown.indexOf('\n## Archive');
    expect(archiveAt).toBeGreaterThan(0);
    expect(markdown.slice(archiveAt)).toContain(
      '**The code measured has changed since** (functions/archive, functions/platform): these figures are that commit',
    );
    expect(markdown.slice(0, archiveAt)).not.toContain('has changed since');
    expect(unflagged).not.toContain('has changed since');
  });
});
