/** Errors of the one-machine runtime (`npm start`, `npm run send`). */

/** The local pipeline could not start or was used in a way it does not support. */
export class LocalPipelineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalPipelineError';
  }
}

/**
 * `secrets.local.json` cannot be created, read or updated, or does not have the expected shape. The message
 * says which, in one sentence a user can act on (never a secret's value).
 */
export class LocalSecretsFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalSecretsFileError';
  }
}

/** `npm run send` was given arguments it cannot turn into a request. */
export class SendUsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SendUsageError';
  }
}

/** A Lambda handler ran longer than its configured timeout. */
export class LambdaTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number, options?: ErrorOptions) {
    super(`${functionName} timed out after ${timeoutMs} ms`, options);
    this.name = 'LambdaTimeoutError';
  }
}

/** A request body exceeded the local API Gateway's payload limit. */
export class GatewayPayloadTooLargeError extends Error {
  constructor(limitBytes: number, options?: ErrorOptions) {
    super(`request body exceeds ${limitBytes} bytes`, options);
    this.name = 'GatewayPayloadTooLargeError';
  }
}
