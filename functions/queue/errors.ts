/** The queue (or the claim-check bucket) did not accept the event; the sender should retry later. */
export class QueueUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}

/** The raw event store's bucket did not accept a delivery; the sender should retry later. */
export class RawEventStoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RawEventStoreUnavailableError';
  }
}

/** A queued message is not one this worker can read (corrupt, or from an incompatible version). */
export class UnreadableQueueMessageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnreadableQueueMessageError';
  }
}
