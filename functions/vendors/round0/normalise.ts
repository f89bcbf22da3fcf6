import type { CandidateRef, InterviewEvent } from '../envelope.js';
import { textAt, withoutUndefined } from '../fields.js';
import type { NormaliseContext } from '../normalise-context.js';
import type { Round0Envelope } from './schema.js';

/**
 * Turns a validated ROUND0 body into the vendor-neutral envelope. ROUND0 sends an event id and tells
 * receivers to use it for idempotency, so the dedupe key is `round0:${id}` for every type, known or not.
 * For an unknown type the interview and candidate are read only where they have the known shape.
 */
export function normaliseRound0Event(body: Round0Envelope, context: NormaliseContext): InterviewEvent {
  const candidate: CandidateRef = withoutUndefined({
    email: textAt(body.data, 'candidate', 'email'),
    name: textAt(body.data, 'candidate', 'name'),
    vendorId: textAt(body.data, 'candidate', 'id'),
  });
  return {
    schemaVersion: 1,
    vendor: 'round0',
    type: body.type,
    known: context.known,
    dedupeKey: `round0:${body.id}`,
    vendorEventId: body.id,
    occurredAt: new Date(body.created * 1000).toISOString(),
    receivedAt: context.receivedAt.toISOString(),
    ...withoutUndefined({ interviewId: textAt(body.data, 'interview', 'id') }),
    candidate,
    payload: context.payload,
  };
}
