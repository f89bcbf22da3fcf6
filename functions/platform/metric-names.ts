/**
 * Every custom metric interview-sync publishes (Powertools Metrics, EMF, namespace `InterviewSync`): the one
 * list the handlers emit from and the CDK dashboard and alarms read, so a rename cannot drift.
 *
 * Each metric is published once with the `service` dimension only (the aggregate the alarms watch) and, for
 * those with a `breakdown`, once more with those dimensions as well (both sets on one EMF line) so the
 * dashboard can split it. Dimension values are short enumerations (vendors, event types, reasons, providers,
 * actions, outcomes) — never ids or anything about a candidate.
 */

/** How a metric is published. */
export interface MetricSpec {
  readonly name: string;
  readonly unit: 'Count' | 'Bytes' | 'Milliseconds';
  /** The service (Powertools `service` dimension) that publishes it. */
  readonly service: 'interview-sync-ingest' | 'interview-sync-worker' | 'interview-sync-archive';
  /** Dimensions of the breakdown line, if any. */
  readonly breakdown?: readonly string[];
  readonly description: string;
}

const spec = <const S extends MetricSpec>(value: S): S => value;

export const metrics = {
  // ingest
  webhookReceived: spec({
    name: 'WebhookReceived',
    unit: 'Count',
    service: 'interview-sync-ingest',
    breakdown: ['vendor', 'eventType'],
    description:
      'authenticated, valid events accepted (2xx), by vendor and event type; test deliveries apart',
  }),
  testDeliveryReceived: spec({
    name: 'TestDeliveryReceived',
    unit: 'Count',
    service: 'interview-sync-ingest',
    breakdown: ['vendor', 'eventType'],
    description:
      "test deliveries from a vendor's dashboard accepted (2xx), queued and acknowledged without effect",
  }),
  webhookUnknownType: spec({
    name: 'WebhookUnknownType',
    unit: 'Count',
    service: 'interview-sync-ingest',
    breakdown: ['vendor'],
    description: 'accepted events of a type this version does not know (queued flagged known: false)',
  }),
  webhookRejected: spec({
    name: 'WebhookRejected',
    unit: 'Count',
    service: 'interview-sync-ingest',
    breakdown: ['vendor', 'reason'],
    description: 'refused deliveries (4xx) by reason: signature, token, schema, json, size, route, method',
  }),
  webhookAuthFailed: spec({
    name: 'WebhookAuthFailed',
    unit: 'Count',
    service: 'interview-sync-ingest',
    breakdown: ['vendor'],
    description: 'deliveries refused for a bad ROUND0 signature or micro1 token (the alarmed spike)',
  }),
  webhookInvalid: spec({
    name: 'WebhookInvalid',
    unit: 'Count',
    service: 'interview-sync-ingest',
    breakdown: ['vendor'],
    description:
      'authenticated deliveries refused (400) as not JSON or against the schema: the vendor does not send ' +
      'them again, so each is an event lost unless resent (the alarmed count)',
  }),
  webhookFailed: spec({
    name: 'WebhookFailed',
    unit: 'Count',
    service: 'interview-sync-ingest',
    description: 'deliveries answered 5xx (the queue or the bucket refused): the vendor retries',
  }),
  webhookClaimCheck: spec({
    name: 'WebhookClaimCheck',
    unit: 'Count',
    service: 'interview-sync-ingest',
    description: 'events stored in S3 first because they exceed an SQS message',
  }),
  // worker
  eventSynced: spec({
    name: 'EventSynced',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['vendor', 'eventType'],
    description: 'events processed to the end',
  }),
  eventIgnored: spec({
    name: 'EventIgnored',
    unit: 'Count',
    service: 'interview-sync-worker',
    description: 'events with nothing to do (unknown types, applicant events)',
  }),
  duplicateEvent: spec({
    name: 'DuplicateEvent',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['vendor'],
    description: 'deliveries of an event already processed',
  }),
  eventRetried: spec({
    name: 'EventRetried',
    unit: 'Count',
    service: 'interview-sync-worker',
    description: 'events left on the queue for a retry (transient failure)',
  }),
  eventFailingRepeatedly: spec({
    name: 'EventFailingRepeatedly',
    unit: 'Count',
    service: 'interview-sync-worker',
    description:
      'events that failed again on their third or later receive (out of sight of the queue age metric, ' +
      'which stops counting a message received three times)',
  }),
  candidateUnmatched: spec({
    name: 'CandidateUnmatched',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['vendor'],
    description: 'events parked because the ATS has no record for the candidate',
  }),
  enrichmentNotFound: spec({
    name: 'EnrichmentNotFound',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['vendor'],
    description:
      "events whose interview or report the vendor's API did not know (404): synced from the webhook's data; a steady count points at an API key or base URL of another account or environment",
  }),
  enrichmentDegraded: spec({
    name: 'EnrichmentDegraded',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['vendor'],
    description:
      "events whose optional top-up from the vendor's API failed for good (key or request refused, an answer of another shape): synced from the webhook's data alone",
  }),
  eventDeadLettered: spec({
    name: 'EventDeadLettered',
    unit: 'Count',
    service: 'interview-sync-worker',
    description: 'events sent to the DLQ after a permanent failure',
  }),
  atsWrite: spec({
    name: 'AtsWrite',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['provider', 'action', 'outcome'],
    description:
      'ATS calls by provider (greenhouse, lever, ashby, generic, log, slack), action (status, note, follow-up, links, stage, field, notify; lookup, the candidate look-up, counted only when it failed) and outcome (ran, found, already-there, moved-on, other-plan, uncertain, refused, failed): every call tried, the failed ones included',
  }),
  atsWriteFailed: spec({
    name: 'AtsWriteFailed',
    unit: 'Count',
    service: 'interview-sync-worker',
    breakdown: ['provider'],
    description:
      'ATS calls (writes and the candidate look-up) that threw, transient or permanent; also counted in AtsWrite with outcome failed: the alarmed failure rate is this over AtsWrite',
  }),
  endToEndLag: spec({
    name: 'EndToEndLag',
    unit: 'Milliseconds',
    service: 'interview-sync-worker',
    breakdown: ['vendor'],
    description:
      "from the vendor's event time (an operator's replay or redrive of it; the receipt when the vendor's time is over a day older) to the ATS write that event caused (status or note)",
  }),
  // archive
  archiveObjects: spec({
    name: 'ArchiveObjects',
    unit: 'Count',
    service: 'interview-sync-archive',
    breakdown: ['vendor'],
    description: 'objects stored in the archive',
  }),
  archiveBytes: spec({
    name: 'ArchiveBytes',
    unit: 'Bytes',
    service: 'interview-sync-archive',
    breakdown: ['vendor'],
    description: 'bytes stored in the archive',
  }),
  archiveFailed: spec({
    name: 'ArchiveFailed',
    unit: 'Count',
    service: 'interview-sync-archive',
    breakdown: ['vendor'],
    description: 'archive tasks that failed permanently (parked, dead-lettered)',
  }),
  archiveTaskFailingRepeatedly: spec({
    name: 'ArchiveTaskFailingRepeatedly',
    unit: 'Count',
    service: 'interview-sync-archive',
    description: 'archive tasks that failed again on their second or later receive (90 minutes or more late)',
  }),
  ssrfRefused: spec({
    name: 'SsrfRefused',
    unit: 'Count',
    service: 'interview-sync-archive',
    breakdown: ['vendor'],
    description: 'media URLs refused by the SSRF guard',
  }),
} as const;

export type MetricKey = keyof typeof metrics;
