/**
 * The README's runbooks give Logs Insights queries that filter on a log line's `message`: each must find
 * lines a deployed handler writes, or the on-call engineer reads an empty result as "nothing happened".
 * The messages are the string literals passed to the handlers' loggers (functions/).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { projectRoot } from '../../../lib/constructs/service-function.js';

const sourcesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourcesUnder(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [readFileSync(join(dir, entry.name), 'utf8')]
        : [],
  );

/** Every message a deployed handler logs: the first argument of a logger call, when a string literal. */
const loggedMessages = sourcesUnder(join(projectRoot, 'functions')).flatMap((source) =>
  [...source.matchAll(/logger\.(?:debug|info|warn|error|critical)\(\s*(['"])((?:(?!\1).)*)\1/gs)].map(
    (match) => (match[2] ?? '').replace(/\\'/g, "'"),
  ),
);

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const runbooks = readme.slice(readme.indexOf('\n## Runbook\n'));

/** The `message` filters of the runbooks' queries (`@message`, the raw line, is Lambda's own text). */
const equalities = [...runbooks.matchAll(/(?<![@\w])message = "([^"]+)"/g)].map((m) => m[1] ?? '');
const patterns = [...runbooks.matchAll(/(?<![@\w])message like \/((?:[^/\\]|\\.)+)\//g)].map(
  (m) => m[1] ?? '',
);

describe("the runbooks' log queries", () => {
  it('are found in the README and the handlers log messages (the check below reads something)', () => {
    // Assess
    expect(equalities.length + patterns.length).toBeGreaterThanOrEqual(4);
    expect(loggedMessages).toEqual(expect.arrayContaining(['webhook accepted', 'event will be retried']));
  });

  it('filter on messages a handler logs: each `message = "…"` is one, each `message like /…/` matches one', () => {
    // Assess
    expect(equalities.filter((message) => !loggedMessages.includes(message))).toEqual([]);
    expect(
      patterns.filter((pattern) => !loggedMessages.some((message) => new RegExp(pattern).test(message))),
    ).toEqual([]);
  });
});
