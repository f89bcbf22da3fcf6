/**
 * Sends a {@link Traffic} with autocannon: `connections` keep-alive connections, each taking the next
 * delivery as it becomes free, so the requests go out in the traffic's (shuffled) order. Each request is
 * built when its connection is about to send it: a ROUND0 body is signed then, with the current time
 * (a re-delivery is signed anew, as ROUND0 signs every attempt), so no signature is stale however long the
 * run.
 */
import autocannon from 'autocannon';
import { round0SignatureHeader, signRound0Payload } from '../../functions/vendors/round0/signature.js';
import type { Traffic } from './traffic.js';

export interface SendOptions {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly round0Secret: string;
  readonly micro1Token: string;
  /** @default 64 */
  readonly connections?: number;
  /** Seconds before a request without an answer counts as failed. @default 30 */
  readonly timeoutSeconds?: number;
  /** Called on every answer (or failed request). */
  readonly onAnswer?: () => void;
}

export interface SendResult {
  readonly sent: number;
  /** 2xx answers (re-deliveries included): durably queued. */
  readonly accepted: number;
  /** Requests without a 2xx answer (other statuses, errors, timeouts). */
  readonly non2xx: number;
  /** Events answered 2xx at least once. */
  readonly acceptedEvents: ReadonlySet<number>;
  /**
   * Events never answered 2xx but answered 5xx or not at all at least once: maybe queued all the same (the
   * ingest may have timed out after SQS took the event), as a vendor that retries them would find.
   */
  readonly uncertainEvents: ReadonlySet<number>;
  /** 2xx answers whose `id` was not the event's dedupe key. */
  readonly idMismatches: number;
  /** Count per HTTP status (0: no answer). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface DeliveryContext {
  delivery?: number;
}

const answerId = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { id?: string }).id;
  } catch {
    return undefined;
  }
};

export const sendTraffic = async (traffic: Traffic, options: SendOptions): Promise<SendResult> => {
  const total = traffic.deliveries.length;
  const connections = Math.min(options.connections ?? 64, total);
  const micro1Path = `/webhooks/micro1/${encodeURIComponent(options.micro1Token)}`;
  const statusOf = new Array<number>(total).fill(0);
  const acceptedEvents = new Set<number>();
  let next = 0;
  let idMismatches = 0;

  const setupRequest = (request: autocannon.Request, context: object): autocannon.Request => {
    // autocannon asks for exactly `amount` requests; the guard only keeps a surprise from throwing.
    const index = Math.min(next++, total - 1);
    (context as DeliveryContext).delivery = index;
    const delivery = traffic.deliveries[index] as Traffic['deliveries'][number];
    const event = traffic.events[delivery.event] as Traffic['events'][number];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (event.vendor === 'round0') {
      headers[round0SignatureHeader] = signRound0Payload(
        event.body,
        options.round0Secret,
        Math.floor(Date.now() / 1000),
      );
    }
    return {
      ...request,
      method: 'POST',
      path: event.vendor === 'round0' ? '/webhooks/round0' : micro1Path,
      headers,
      body: event.body,
    };
  };

  const onResponse = (status: number, body: string, context: object) => {
    const index = (context as DeliveryContext).delivery;
    if (index === undefined) return;
    statusOf[index] = status;
    if (status < 200 || status >= 300) return;
    const delivery = traffic.deliveries[index] as Traffic['deliveries'][number];
    acceptedEvents.add(delivery.event);
    if (answerId(body) !== traffic.events[delivery.event]?.dedupeKey) idMismatches++;
  };

  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections,
        amount: total,
        timeout: options.timeoutSeconds ?? 30,
        requests: [{ setupRequest, onResponse }],
      },
      (error: unknown, finished: autocannon.Result) => (error ? reject(error) : resolve(finished)),
    );
    if (options.onAnswer !== undefined) {
      instance.on('response', options.onAnswer);
      instance.on('reqError', options.onAnswer);
    }
  });
  const seconds = (performance.now() - started) / 1000;

  const statuses: Record<string, number> = {};
  for (const status of statusOf) statuses[status] = (statuses[status] ?? 0) + 1;
  const accepted = statusOf.filter((status) => status >= 200 && status < 300).length;
  const uncertainEvents = new Set(
    traffic.deliveries
      .filter((_, index) => (statusOf[index] ?? 0) === 0 || (statusOf[index] ?? 0) >= 500)
      .map((delivery) => delivery.event)
      .filter((event) => !acceptedEvents.has(event)),
  );
  return {
    sent: Math.min(next, total),
    accepted,
    non2xx: total - accepted,
    acceptedEvents,
    uncertainEvents,
    idMismatches,
    statuses,
    seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
};
