/**
 * Slack notification through an incoming webhook (generic.md): `POST {text, blocks}` to the secret URL.
 * Only the candidate's name, the job, the screening status and a link to the ATS record go out — never a
 * transcript or a score. Slack asks for about one message per second per webhook, so sends are spaced per
 * URL. Delivery is AT MOST ONCE (see {@link notifySlack}).
 */
import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import {
  createHttpClient,
  type HttpClientOptions,
  HttpTransientError,
  requestNeverSent,
} from '../platform/http.js';
import { AtsTransientError, NotificationUncertainError, toAtsError } from './errors.js';
import { type ScreeningStatus, screeningStatusLabels } from './types.js';

export interface SlackNotification {
  /** Candidate display name (PII: goes to Slack, never to logs). */
  readonly candidateName?: string;
  readonly jobTitle?: string;
  readonly status: ScreeningStatus;
  /** Link to the candidate's ATS record. */
  readonly link?: string;
}

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly unknown[];
}

/** Slack mrkdwn control characters (api.slack.com "Formatting text": escape &, <, >). */
const escapeMrkdwn = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const safeLink = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    // `|` and `>` would end Slack's <url|label> syntax early.
    return parsed.href.replaceAll('|', '%7C').replaceAll('>', '%3E');
  } catch {
    return undefined;
  }
};

/**
 * Longest name or job title put in a message: they come from the vendor's payload, unbounded, and a section
 * over 3,000 characters is refused (`invalid_blocks`, a 400) — the notification would be lost.
 */
const maxPartLength = 150;
const bounded = (text: string) =>
  text.length > maxPartLength ? `${text.slice(0, maxPartLength - 1)}…` : text;

/**
 * Builds the message: a `text` fallback (mobile notifications show only it) and one section block. Both are
 * mrkdwn (the top-level `text` too, by default), so the names are escaped in both: a candidate named
 * `<!channel>` must not ping the channel.
 */
export const buildSlackMessage = (notification: SlackNotification): SlackMessage => {
  const who = bounded(notification.candidateName?.trim() || 'A candidate');
  const job = notification.jobTitle?.trim() ? bounded(notification.jobTitle.trim()) : undefined;
  const status = screeningStatusLabels[notification.status];
  const text = `${escapeMrkdwn(who)}${job ? ` (${escapeMrkdwn(job)})` : ''}: ${escapeMrkdwn(status)}`;
  const link = safeLink(notification.link);
  const mrkdwn = [
    `*${escapeMrkdwn(who)}*${job ? ` · ${escapeMrkdwn(job)}` : ''}`,
    escapeMrkdwn(status),
    ...(link ? [`<${link}|Open in ATS>`] : []),
  ].join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }] };
};

/** Milliseconds a notification may take in all, unless `deadlineMs` says otherwise. */
export const defaultSlackDeadlineMs = 15_000;

export interface SlackNotifyOptions extends HttpClientOptions {
  /**
   * Minimum milliseconds between two messages to the same webhook.
   * @default 1000
   */
  readonly minIntervalMs?: number;
}

// One limiter per webhook, for the life of the container (keyed by a hash: the URL is a secret). Unlike the
// ATS limiters it is not divided by ATS_RATE_SHARE (rate-share.ts): Slack allows short bursts over its one a
// second, and its 429 is the one answer certain not to have posted (retried in-process after Retry-After),
// whereas a fifth of the rate would space one busy instance's batch of completions 5 s apart, past the 15 s
// a notification may take, and send those events round again.
const limiters = new Map<string, Bottleneck>();
const limiterFor = (url: string, minIntervalMs: number) => {
  const key = `${createHash('sha256').update(url).digest('hex')}:${minIntervalMs}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new Bottleneck({ maxConcurrent: 1, minTime: minIntervalMs });
    limiters.set(key, limiter);
  }
  return limiter;
};

/**
 * Posts `notification` to the incoming webhook `url`, AT MOST ONCE.
 *
 * An incoming webhook has no idempotency key: Slack posts every request it accepts. A 502 or a timeout can
 * come after Slack posted the message, and a repeat would post it again — a duplicate the recruiters see,
 * while a lost notification costs little (the ATS has the result). So:
 * - the request is retried in-process only when Slack certainly did not act on it: a 429 (with its
 *   `Retry-After`) or a connection that was never established (refused, DNS); those, and a message whose
 *   deadline passed while it waited behind earlier ones to the same webhook, surface as `AtsTransientError`
 *   — "certainly not delivered, safe to retry later";
 * - once the request may have been received — any 5xx, a timeout, a connection reset after sending — it is
 *   never repeated: {@link NotificationUncertainError}, "may have been delivered, do not resend"; record the
 *   notification as done;
 * - other 4xx (`invalid_payload`, `no_service`…) are `AtsPermanentError`.
 * Errors never contain the URL (it is the secret).
 */
export const notifySlack = async (
  url: string,
  notification: SlackNotification,
  options: SlackNotifyOptions = {},
): Promise<void> => {
  const { minIntervalMs = 1000, ...httpOptions } = options;
  const limiter = limiterFor(url, minIntervalMs);
  const http = createHttpClient({
    // Retry-After waits included: the worker's 60 s also holds the event's ATS writes.
    deadlineMs: defaultSlackDeadlineMs,
    ...httpOptions,
    schedule: (attempt) => limiter.schedule(attempt),
  });
  try {
    await http.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(buildSlackMessage(notification)),
      // Not idempotent: the HTTP client then repeats only a 429 or a request that was never sent.
      idempotent: false,
      operation: 'POST incoming-webhook',
    });
  } catch (error) {
    if (error instanceof HttpTransientError) {
      // Not sent: a refused connection, an unknown host, or the deadline passed while it waited its turn
      // behind earlier messages to the same webhook.
      const certainlyNotDelivered =
        error.status === 429 || (error.status === undefined && requestNeverSent(error));
      if (certainlyNotDelivered) {
        throw new AtsTransientError(
          `slack: ${error.message} (not delivered)`,
          { adapter: 'slack', status: error.status, retryAfterSeconds: error.retryAfterSeconds },
          { cause: error },
        );
      }
      throw new NotificationUncertainError(
        `slack: ${error.message} (may have been delivered: not resent)`,
        { channel: 'slack', status: error.status },
        { cause: error },
      );
    }
    throw toAtsError('slack', error);
  }
};
