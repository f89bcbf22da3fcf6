/**
 * The candidate's record could not be found in the ATS. Not retried: the event is parked with the reason
 * (replayable once the record exists) and counted.
 */
export class UnmatchedCandidateError extends Error {
  constructor(readonly reason: string) {
    super(`candidate not found in the ATS: ${reason}`);
    this.name = 'UnmatchedCandidateError';
  }
}

/**
 * Another attempt is making a write that must land before this event's (a status of another level, the
 * note a follow-up depends on); retry the message shortly.
 */
export class EffectBusyError extends Error {
  constructor(
    readonly effect: string,
    options?: ErrorOptions,
  ) {
    super(`waiting for another attempt's write (${effect})`, options);
    this.name = 'EffectBusyError';
  }
}
