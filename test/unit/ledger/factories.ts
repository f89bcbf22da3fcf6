/** Factories for the ledger's tests: envelopes and state updates with only the fields that matter. */
import { randomUUID } from 'node:crypto';
import type { InterviewUpdate } from '../../../functions/ledger/interview-state.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';

/** A ROUND0 envelope (shape of `shared/seeds/round0-webhook-events.md`). */
export const round0Event = (
  overrides: Partial<InterviewEvent> & { interviewId?: string; created?: number } = {},
): InterviewEvent => {
  const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
  const interviewId = overrides.interviewId ?? randomUUID();
  const type = overrides.type ?? 'interview_started';
  const created = overrides.created ?? 1_640_000_000;
  return {
    schemaVersion: 1,
    vendor: 'round0',
    type,
    known: true,
    dedupeKey: `round0:${eventId}`,
    vendorEventId: eventId,
    occurredAt: new Date(created * 1000).toISOString(),
    receivedAt: new Date().toISOString(),
    interviewId,
    candidate: { vendorId: 'cand-1' },
    payload: {
      id: eventId,
      type,
      created,
      data: { interview: { id: interviewId }, candidate: { id: 'cand-1' } },
    },
    ...overrides,
  };
};

/** A micro1 envelope: `data` is the event's `data` object. */
export const micro1Event = (
  type: string,
  data: Record<string, unknown> = { candidate_id: randomUUID() },
  overrides: Partial<InterviewEvent> = {},
): InterviewEvent => ({
  schemaVersion: 1,
  vendor: 'micro1',
  type,
  known: true,
  dedupeKey: `micro1:${type}:${randomUUID()}`,
  receivedAt: new Date().toISOString(),
  candidate: {},
  payload: { event: type, data },
  ...overrides,
});

/** A state update for `interviewKey`, ranked `rank`, happening `minute` minutes into a fixed day. */
export const stateUpdate = (
  interviewKey: string,
  overrides: Partial<InterviewUpdate> & { minute?: number } = {},
): InterviewUpdate => {
  const { minute = 0, ...rest } = overrides;
  const rank = 'rank' in overrides ? overrides.rank : 1;
  return {
    vendor: 'round0',
    interviewKey,
    rank,
    status: rank === undefined ? 'fields_only' : `status_${rank}`,
    occurredAt: new Date(Date.UTC(2024, 0, 16, 14, minute)).toISOString(),
    eventKey: `evt_${randomUUID()}`,
    fields: {},
    ...rest,
  };
};
