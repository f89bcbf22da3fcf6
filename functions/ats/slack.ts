/**
 * Slack notification through an incoming webhook (generic.md): `POST {text, blocks}` to the secret URL.
 * Only the candidate's name, the job, the screening status and a link to the ATS record go out — never a
 * transcript or a score. 4xx answers (`invalid_payload`, `no_service`…) are permanent, 429/5xx transient.
 * Slack asks for about one message per second per webhook, so sends are spaced per URL.
 */
import { createHash } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { createHttpClient, type HttpClientOptions } from '../platform/http.js';
import { toAtsError } from './errors.js';
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

/** Builds the message: a plain `text` fallback (notifications) and one section block. */
export const buildSlackMessage = (notification: SlackNotification): SlackMessage => {
  const who = notification.candidateName?.trim() || 'A candidate';
  const job = notification.jobTitle?.trim();
  const status = screeningStatusLabels[notification.status];
  const text = `${who}${job ? ` (${job})` : ''}: ${status}`;
  const link = safeLink(notification.link);
  const mrkdwn = [
    `*${escapeMrkdwn(who)}*${job ? ` · ${escapeMrkdwn(job)}` : ''}`,
    escapeMrkdwn(status),
    ...(link ? [`<${link}|Open in ATS>`] : []),
  ].join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }] };
};

export interface SlackNotifyOptions extends HttpClientOptions {
  /**
   * Minimum milliseconds between two messages to the same webhook.
   * @default 1000
   */
  readonly minIntervalMs?: number;
}

// One limiter per webhook, for the life of the container (keyed by a hash: the URL is a secret).
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
 * Posts `notification` to the incoming webhook `url`. Throws `AtsTransientError` (429, 5xx, timeout) or
 * `AtsPermanentError` (other 4xx); errors never contain the URL.
 */
export const notifySlack = async (
  url: string,
  notification: SlackNotification,
  options: SlackNotifyOptions = {},
): Promise<void> => {
  const { minIntervalMs = 1000, ...httpOptions } = options;
  const limiter = limiterFor(url, minIntervalMs);
  const http = createHttpClient({ ...httpOptions, schedule: (attempt) => limiter.schedule(attempt) });
  try {
    await http.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(buildSlackMessage(notification)),
      // Posting the same message twice only duplicates a notification; retrying is worth it.
      idempotent: true,
      operation: 'POST incoming-webhook',
    });
  } catch (error) {
    throw toAtsError('slack', error);
  }
};
