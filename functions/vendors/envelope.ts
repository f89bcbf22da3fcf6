/**
 * The vendor-neutral envelope every authenticated webhook becomes. The ingest Lambda produces it, SQS
 * carries it, the worker consumes it. It knows nothing about AWS.
 */

/** Vendors interview-sync receives webhooks from. */
export const vendorNames = ['micro1', 'round0'] as const;
export type VendorName = (typeof vendorNames)[number];

export interface CandidateRef {
  /** Candidate e-mail (PII: never log it). */
  readonly email?: string;
  /** Candidate display name (PII: never log it). */
  readonly name?: string;
  /** The vendor's own id for the candidate. */
  readonly vendorId?: string;
  /** Application id in the company's ATS when the vendor knows it (micro1 `ats_job_application_id`). */
  readonly atsApplicationId?: string;
  /** Job id in the company's ATS when the vendor knows it (micro1 `ats_job_id`). */
  readonly atsJobId?: string;
}

export interface InterviewEvent {
  /** Envelope format version, bumped on breaking changes so a worker can refuse what it cannot read. */
  readonly schemaVersion: 1;
  readonly vendor: VendorName;
  /** The vendor's event type verbatim (`interview_ended`, `interview_report.created`, …). */
  readonly type: string;
  /** False for an authenticated event of a type this version does not know; it is queued, not rejected. */
  readonly known: boolean;
  /** Stable key for deduplication: identical for every delivery of the same vendor event. */
  readonly dedupeKey: string;
  /** The vendor's event id when it sends one (ROUND0 `id`); micro1 sends none. */
  readonly vendorEventId?: string;
  /** When the vendor says the event happened (ISO 8601, UTC), if it says. */
  readonly occurredAt?: string;
  /** When the ingest Lambda accepted it (ISO 8601, UTC). */
  readonly receivedAt: string;
  /** The vendor's interview id (ROUND0 `data.interview.id`, micro1 `interview_id`) when present. */
  readonly interviewId?: string;
  readonly candidate: CandidateRef;
  /** The body exactly as parsed from JSON, unknown fields included. */
  readonly payload: unknown;
  /**
   * Present on a test delivery from the vendor's dashboard (`test-delivery.ts`): queued like any event so
   * the 2xx still means "durably queued", and acknowledged by the worker without any effect.
   */
  readonly test?: true;
  /**
   * When an operator put it back on the queue (`ops replay`, parked or raw; ISO 8601). The worker measures
   * its end-to-end lag from then: a replay of week-old events is the operator's choice, not a backlog, and
   * must not page through the lag alarm. A redriven dead letter has none: its lag is the pipeline's.
   */
  readonly replayedAt?: string;
}

/**
 * The delivery exactly as the vendor sent it, travelling with its envelope: the worker keeps it in the raw
 * event store (replay, re-verification), so the ingest's answer waits for SQS alone.
 */
export interface RawDelivery {
  /** The headers worth keeping (signature, content type, user agent), lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received, base64 (bytes, not text: a signature covers the bytes). */
  readonly bodyBase64: string;
}

/**
 * What goes on the SQS queue: the envelope itself (with the raw delivery, absent on replays and internal
 * events), or a pointer to both in S3 when they are larger than an SQS message may be (claim-check pattern).
 */
export type QueueMessage =
  | { readonly kind: 'event'; readonly event: InterviewEvent; readonly raw?: RawDelivery }
  | {
      readonly kind: 'claim-check';
      readonly bucket: string;
      readonly key: string;
      readonly dedupeKey: string;
      readonly vendor: VendorName;
      readonly type: string;
    };
