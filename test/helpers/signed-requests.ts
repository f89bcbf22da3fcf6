/**
 * Builders of vendor webhook requests as the front door sees them: raw bytes, headers, path. Signed or
 * tokenised with the given secrets so tests state only what differs from a valid delivery.
 */
import { signRound0Payload } from '../../functions/vendors/index.js';

export interface SignedRequestOptions {
  /** ROUND0 signing secret. */
  readonly secret?: string;
  /** Unix seconds for the signature's `t`. @default now */
  readonly timestamp?: number;
}

export const round0Request = (
  body: unknown,
  { secret = 'round0-test-secret', timestamp }: SignedRequestOptions = {},
) => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const t = timestamp ?? Math.floor(Date.now() / 1000);
  return {
    path: '/webhooks/round0',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': signRound0Payload(raw, secret, t) },
    rawBody: Buffer.from(raw),
  };
};

export const micro1Request = (body: unknown, token: string) => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    path: `/webhooks/micro1/${token}`,
    headers: { 'content-type': 'application/json' },
    rawBody: Buffer.from(raw),
  };
};
