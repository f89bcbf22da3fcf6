import type * as v from 'valibot';

/** One reason a body was refused, addressed by a dotted path (`data.responses.0.score`, `''` for the body). */
export interface VendorEventIssue {
  readonly path: string;
  readonly message: string;
}

/** At most this many issues are reported: enough to fix a payload, small enough for a 400 body or a log. */
const maxIssues = 20;

/**
 * Message for issues the schemas give no message of their own. Valibot's default quotes the received
 * value, which may be an e-mail or a transcript; these messages end up in logs, so they say only what was
 * expected.
 */
export function issueMessage(issue: v.BaseIssue<unknown>): string {
  const what = issue.kind === 'schema' ? 'type' : issue.type.replaceAll('_', ' ');
  return issue.expected === null ? `Invalid ${what}` : `Invalid ${what}: expected ${issue.expected}`;
}

/** Parse config: every failing field (not just the first), one issue per field, PII-free messages. */
export const parseConfig = { abortEarly: false, abortPipeEarly: true, message: issueMessage } as const;

/**
 * A key as an issue path shows it. A payload's own keys can be anything — an e-mail, a key of megabytes that
 * would push a 400 over Lambda's 6 MB answer — so a key that is not a plain name or index shows as `*`.
 */
export const shownKey = (key: unknown): string => {
  const text = String(key);
  return /^[A-Za-z0-9_$-]{1,64}$/.test(text) ? text : '*';
};

/** Valibot issues as dotted-path issues. */
export function toVendorEventIssues(issues: readonly v.BaseIssue<unknown>[]): VendorEventIssue[] {
  return issues.slice(0, maxIssues).map((issue) => ({
    path: (issue.path ?? []).map((item) => shownKey(item.key)).join('.'),
    message: issue.message,
  }));
}
