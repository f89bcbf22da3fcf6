/**
 * Errors of the ledger (event dedupe, effects ledger, per-interview state).
 *
 * Each carries `transient`: the worker edge maps `true` to "leave the message on the queue and retry"
 * and `false` to "dead-letter it". Messages name keys and effect names only, never payload content.
 */

/** Base class of every ledger error. */
export abstract class LedgerError extends Error {
  /** Whether retrying the same event later can succeed. */
  abstract readonly transient: boolean;
}

/** An event carries no dedupe key; processing it without one could repeat its effects. */
export class MissingDedupeKeyError extends LedgerError {
  readonly transient = false;

  constructor(options?: ErrorOptions) {
    super('the event has no dedupe key', options);
    this.name = 'MissingDedupeKeyError';
  }
}

/** Another invocation holds the lease on this event (Powertools found an unexpired in-progress record). */
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

/** Another worker holds an unexpired claim on this effect. */
export class EffectInProgressError extends LedgerError {
  readonly transient = true;

  constructor(
    readonly eventKey: string,
    readonly effect: string,
    /** When the other worker's lease ends (epoch milliseconds), if known. */
    readonly leaseExpiresAt?: number,
    options?: ErrorOptions,
  ) {
    super(`effect ${effect} of event ${eventKey} is claimed by another worker`, options);
    this.name = 'EffectInProgressError';
  }
}

/**
 * The effect ran, but this worker's claim was taken over before it could record completion (its lease
 * expired). The worker that took over was told `previousAttemptUnfinished`, so it reconciles; retrying the
 * event later finds the effect done.
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

/** Too many concurrent writers kept changing the interview's state item; a later retry will get through. */
export class InterviewStateConflictError extends LedgerError {
  readonly transient = true;

  constructor(
    readonly stateKey: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(`state ${stateKey} kept changing; gave up after ${attempts} attempts`, options);
    this.name = 'InterviewStateConflictError';
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
