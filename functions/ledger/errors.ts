/**
 * Errors of the interview ledger (per-interview state, event dedupe, effect records).
 *
 * Each carries `transient`: the worker edge maps `true` to "leave the message on the queue and retry"
 * and `false` to "dead-letter it". Messages name keys and effect names only, never payload content.
 */

/** Base class of every ledger error. */
export abstract class LedgerError extends Error {
  /** Whether retrying the same event later can succeed. */
  abstract readonly transient: boolean;
}

/** Another attempt holds this event's claim on its interview's item (a concurrent delivery of it). */
export class EventInProgressError extends LedgerError {
  readonly transient = true;

  constructor(
    readonly dedupeKey: string,
    options?: ErrorOptions,
  ) {
    super(`event ${dedupeKey} is being processed by another invocation`, options);
    this.name = 'EventInProgressError';
  }
}

/**
 * The writes ran, but this attempt's claims were taken over before it could record them (its lease ran
 * out). The attempt that took over saw them unfinished and checks the ATS where it can; retrying the event
 * later finds them recorded.
 */
export class EffectClaimLostError extends LedgerError {
  readonly transient = true;

  constructor(
    readonly eventKey: string,
    readonly effect: string,
    options?: ErrorOptions,
  ) {
    super(`claim on effect ${effect} of event ${eventKey} was lost before completion was recorded`, options);
    this.name = 'EffectClaimLostError';
  }
}

/** The event carries none of the ids interview state is keyed by; retrying will not add one. */
export class MissingInterviewKeyError extends LedgerError {
  readonly transient = false;

  constructor(
    readonly vendor: string,
    readonly type: string,
    options?: ErrorOptions,
  ) {
    super(`${vendor} event ${type} carries no id to key interview state by`, options);
    this.name = 'MissingInterviewKeyError';
  }
}

/** A state update is malformed (unparseable `occurredAt`, empty key); retrying will not fix it. */
export class InvalidInterviewUpdateError extends LedgerError {
  readonly transient = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidInterviewUpdateError';
  }
}

/**
 * An interview's item would grow past DynamoDB's 400 KB by this commit (thousands of events on one
 * interview): retrying writes the same bytes and is refused the same way, so the event fails for good, with
 * a reason, before any ATS write. Its earlier events and their effects stay recorded.
 */
export class LedgerItemTooLargeError extends LedgerError {
  readonly transient = false;

  constructor(
    readonly vendor: string,
    readonly interviewKey: string,
    options?: ErrorOptions,
  ) {
    super(`the ledger item of ${vendor} interview ${interviewKey} would exceed DynamoDB's 400 KB`, options);
    this.name = 'LedgerItemTooLargeError';
  }
}

/** Whether `error` is DynamoDB refusing a write because the item would exceed its size limit. */
export const isItemTooLarge = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'ValidationException' &&
  /item size (to update )?has exceeded the maximum allowed size/i.test(String((error as Error).message));
