/** Errors of `npm run ops`'s stage handling; `local/ops.ts` turns them into its usage errors. */

/**
 * A stage that cannot be reached as asked: no running `npm start`, a stack or an output missing, no AWS
 * region or credentials. The message says what to do.
 */
export class StageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StageError';
  }
}

/** An AWS error that means the credentials may not make the call (the names differ by service). */
export const isAccessDenied = (error: unknown): boolean => {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  return name === 'AccessDenied' || name === 'AccessDeniedException' || /not authorized/i.test(message ?? '');
};
