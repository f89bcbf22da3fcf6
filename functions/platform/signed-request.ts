/**
 * One request to an AWS service endpoint over a keep-alive agent, and the retry loop around it: what the
 * ingest's two writes (platform/object-put.ts to S3, platform/message-send.ts to SQS) share instead of an SDK
 * client (why: see those two files).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface ServiceAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface ServiceRequest {
  /** Protocol, host and port. */
  readonly origin: URL;
  /** The path (and query) exactly as sent and signed: never normalised (`/a/../b` stays as it is). */
  readonly path: string;
  readonly method: string;
  /** Signed headers; `content-length` is added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Time for the whole attempt, connection included: the request is destroyed when it is up. */
  readonly timeoutMs: number;
}

/** A keep-alive agent per protocol, for one writer: connections are reused across invocations. */
export const keepAliveAgents = () => ({
  http: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
});

/**
 * Sends one request and reads the whole answer (any status). Rejects only when no answer came: the
 * connection failed or the time was up.
 */
export const exchange = (
  agents: ReturnType<typeof keepAliveAgents>,
  request: ServiceRequest,
): Promise<ServiceAnswer> =>
  new Promise((resolve, reject) => {
    const secure = request.origin.protocol === 'https:';
    const outgoing = (secure ? httpsRequest : httpRequest)(
      {
        protocol: request.origin.protocol,
        hostname: request.origin.hostname,
        port: request.origin.port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        agent: secure ? agents.https : agents.http,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // One timer for the whole attempt: a socket timeout would restart on every byte of a trickling answer.
    const timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    const settle = () => clearTimeout(timer);
    outgoing.on('close', settle);
    outgoing.on('error', (error) => {
      settle();
      reject(error);
    });
    outgoing.end(request.body);
  });

/** An attempt is not started with less time than this left before the deadline: it could not succeed. */
export const minAttemptMs = 200;

/** No time was left before the deadline for a first attempt (nothing was sent). */
export class OutOfTimeError extends Error {
  constructor(deadline: number) {
    super(`no time left for an attempt before the deadline (${new Date(deadline).toISOString()})`);
    this.name = 'OutOfTimeError';
  }
}

export interface RetryLimits {
  readonly maxAttempts: number;
  /** Time for one attempt. */
  readonly timeoutMs: number;
  /**
   * Epoch ms by which the whole call (attempts and the waits between them) must have ended: each attempt
   * gets the lesser of its timeout and the time left, and none starts with less than {@link minAttemptMs}
   * left. @default undefined — bounded by attempts × timeout and the waits alone
   */
  readonly deadline?: number | undefined;
}

/**
 * Runs `attempt` (given its time) up to `maxAttempts` times while it fails with an error `transient`
 * accepts, waiting as the SDK's standard retry mode does (full jitter: up to 100 ms, then 200 ms), all of it
 * within the deadline when there is one. Out of time, the last attempt's error is thrown.
 */
export const retrying = async <T>(
  attempt: (timeoutMs: number) => Promise<T>,
  transient: (error: unknown) => boolean,
  limits: RetryLimits,
): Promise<T> => {
  const { maxAttempts, timeoutMs, deadline } = limits;
  const timeLeft = () => (deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now());
  if (timeLeft() < minAttemptMs) throw new OutOfTimeError(deadline ?? 0);
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt(Math.floor(Math.min(timeoutMs, timeLeft())));
    } catch (error) {
      if (!transient(error) || tries >= maxAttempts) throw error;
      const wait = Math.random() * 100 * 2 ** (tries - 1);
      if (timeLeft() - wait < minAttemptMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
      // Asked again: a timer that fired late (a busy event loop) may have left too little.
      if (timeLeft() < minAttemptMs) throw error;
    }
  }
};
