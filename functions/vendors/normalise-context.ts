/** What a normaliser needs besides the validated body. */
export interface NormaliseContext {
  /** The body exactly as parsed from JSON; it becomes the envelope's `payload` untouched. */
  readonly payload: unknown;
  /** Whether the body matched the schema of a type this version knows. */
  readonly known: boolean;
  /** When the ingest Lambda accepted the delivery. */
  readonly receivedAt: Date;
}
