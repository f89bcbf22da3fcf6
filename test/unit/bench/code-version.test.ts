/**
 * Which code a bench result measured (local/bench/code-version.ts), in a scratch git repository: the stored
 * results are not code, a new module is.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from '@jest/globals';
import { codeVersion } from '../../../local/bench/code-version.js';

describe('codeVersion', () => {
  let root: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const commitAll = (message: string) => {
    git('add', '-A');
    git('commit', '-qm', message);
    return git('rev-parse', '--short', 'HEAD');
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'code-version-'));
    git('init', '-q');
    write('functions/worker.ts', 'v1');
    write('local/bench/results/worker.json', '{}');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the measured code changed since a commit, not the stored results', () => {
    // Prepare
    const measured = commitAll('measured');
    write('local/bench/results/worker.json', '{"rerun":true}');
    write('BENCHMARKS.md', 'figures');
    commitAll('results');
    const resultsOnly = codeVersion(root).changedSince(measured);
    write('functions/archive/hls.ts', 'new');
    write('local/fakes/lever.ts', 'changed');
    commitAll('code');

    // Act
    const afterCode = codeVersion(root).changedSince(measured);

    // Assess
    expect(resultsOnly).toEqual([]);
    expect(afterCode).toEqual(['functions/archive', 'local/fakes']);
  });

  it('counts a new file of the measured code as uncommitted, and new results not', () => {
    // Prepare
    commitAll('measured');
    write('local/bench/results/ingest.json', '{}');
    const withResults = codeVersion(root).dirty;
    write('functions/platform/new-module.ts', 'export {}');

    // Act
    const withNewModule = codeVersion(root).dirty;

    // Assess
    expect(withResults).toBe(false);
    expect(withNewModule).toBe(true);
  });
});
