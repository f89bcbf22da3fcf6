/** The service's configuration (environment, secrets) is missing or malformed. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** A secret could not be read (Secrets Manager unreachable, local file missing). Transient for callers. */
export class SecretUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}
