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

/** Another worker is writing this interview's ATS status right now; retry the message shortly. */
export class StatusSyncBusyError extends Error {
  constructor(options?: ErrorOptions) {
    super("another worker is writing this interview's ATS status", options);
    this.name = 'StatusSyncBusyError';
  }
}
