/**
 * Which code a bench result measured: the commit, whether the working tree differed from it, and what has
 * changed since (git, in the repository at `root`). Only the measured code counts: the functions, the CDK
 * app, the local runtime and the bench — not the stored results, which are committed after every run.
 */
import { execFileSync } from 'node:child_process';

const measuredCode = ['functions', 'lib', 'local', 'bin', ':(exclude)local/bench/results'];

const gitIn =
  (root: string) =>
  (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return undefined;
    }
  };

export interface CodeVersion {
  /** HEAD's short commit, when `root` is a git repository. */
  readonly commit: string | undefined;
  /** Whether the measured code differs from HEAD (new files included: a new module is a change too). */
  readonly dirty: boolean;
  /** The measured code's folders (two levels) changed between `from` and HEAD. */
  changedSince(from: string): string[];
}

export const codeVersion = (root: string): CodeVersion => {
  const git = gitIn(root);
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: (git('status', '--porcelain', '--', ...measuredCode) ?? '') !== '',
    changedSince: (from) => {
      const names = git('diff', '--name-only', from, 'HEAD', '--', ...measuredCode) ?? '';
      return [
        ...new Set(
          names
            .split('\n')
            .filter((name) => name !== '')
            .map((name) => name.split('/').slice(0, 2).join('/')),
        ),
      ].sort();
    },
  };
};
