/**
 * Errors of the vendors domain. Parsing and authentication failures are ordinary results (the ingest edge
 * answers 400/401 from them); these errors are for states that are nobody's fault but the operator's.
 */

/**
 * The webhook secrets handed to a verifier cannot authenticate anything (no secret, an empty one, a token
 * too short to be unguessable, a negative tolerance). Thrown rather than answered with 401 so that the
 * ingest edge turns it into a 5xx: the vendor retries, the alarm fires, and no delivery is silently lost.
 */
export class WebhookConfigurationError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookConfigurationError';
  }
}
