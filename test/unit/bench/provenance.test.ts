/**
 * BENCHMARKS.md's provenance lines (local/bench/report.ts): a part kept from an earlier run says when the
 * code it measured has changed since, so stale figures are never read as the current code's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderBenchmarks, resultsDir } from '../../../local/bench/report.js';

const commitOf = (part: string): string =>
  (JSON.parse(readFileSync(join(resultsDir, `${part}.json`), 'utf8')) as { commit: string }).commit;

describe('renderBenchmarks provenance', () => {
  it('flags the section of a part whose measured code changed since, and only it', () => {
    // Prepare
    const archiveCommit = commitOf('archive');
    const ingestCommit = commitOf('ingest');

    // Act
    const markdown = renderBenchmarks(resultsDir, (commit) =>
      commit === archiveCommit && commit !== ingestCommit ? ['functions/archive', 'functions/platform'] : [],
    );
    const unflagged = renderBenchmarks(resultsDir);

    // Assess
    const archiveSection = markdown.slice(markdown.indexOf('\n## Archive'));
    expect(archiveSection).toContain(
      '**The code measured has changed since** (functions/archive, functions/platform): these figures are that commit',
    );
    expect(markdown.slice(0, markdown.indexOf('\n## Archive'))).not.toContain('has changed since');
    expect(unflagged).not.toContain('has changed since');
  });
});
