/**
 * Why a webhook was refused. Only the ingest edge (`functions/ingest.ts` through `http-problem.ts`) turns
 * these into HTTP answers.
 */

/** The path names no vendor route. */
export class UnknownVendorRouteError extends Error {
  constructor(options?: ErrorOptions) {
    super('no webhook route at this path', options);
    this.name = 'UnknownVendorRouteError';
  }
}

/** The body is larger than the configured cap. */
export class PayloadTooLargeError extends Error {
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`body of ${sizeBytes} bytes exceeds the ${limitBytes}-byte limit`);
    this.name = 'PayloadTooLargeError';
  }
}

/** A catch-all route received a method other than POST (vendors only ever POST their webhooks). */
export class MethodNotAllowedError extends Error {
  constructor(readonly method: string) {
    super(`method ${method} is not allowed on a webhook route`);
    this.name = 'MethodNotAllowedError';
  }
}

/**
 * The request is not from the vendor: missing/bad signature (ROUND0) or token (micro1). `credential` and
 * `reason` are for logs and metrics only; the caller is never told which part failed.
 */
export class WebhookAuthenticationError extends Error {
  constructor(
    readonly credential: 'signature' | 'token',
    readonly reason: string = credential,
  ) {
    super(`webhook authentication failed (${reason})`);
    this.name = 'WebhookAuthenticationError';
  }
}

/** The body is not JSON. */
export class MalformedJsonError extends Error {
  constructor(options?: ErrorOptions) {
    super('body is not valid JSON', options);
    this.name = 'MalformedJsonError';
  }
}

export interface SchemaIssue {
  /** Dotted path of the failing field, e.g. `data.responses.0.score`. */
  readonly path: string;
  readonly message: string;
}

/** At most this many issues are reported (one is enough to fix; a hostile body can have thousands). */
const maxShownIssues = 10;
/** Longest path reported (each key is already bounded: vendors/issues.ts `shownKey`; nesting is not). */
const maxPathLength = 200;

/** The body is JSON but violates the vendor's event schema. */
export class InvalidEventError extends Error {
  readonly issues: readonly SchemaIssue[];

  constructor(issues: readonly SchemaIssue[]) {
    const shown = issues.slice(0, maxShownIssues).map((issue) => ({
      ...issue,
      path: issue.path.length > maxPathLength ? `${issue.path.slice(0, maxPathLength - 1)}…` : issue.path,
    }));
    super(`event violates the schema at ${shown.map((issue) => issue.path).join(', ')}`);
    this.name = 'InvalidEventError';
    this.issues = shown;
  }
}
