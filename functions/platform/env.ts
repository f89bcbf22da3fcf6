/**
 * Names of the environment variables the Lambda functions read. The CDK stack and the local runtime set
 * them from the same constants, so a rename cannot drift between the two.
 */
export const envNames = {
  // shared
  bucketName: 'BUCKET_NAME',
  /** ARN of the Secrets Manager secret with the webhook secrets (deployed). */
  webhookSecretsArn: 'WEBHOOK_SECRETS_ARN',
  /** ARN of the Secrets Manager secret with the ATS credentials, Slack URL and pseudonym key (deployed). */
  integrationSecretsArn: 'INTEGRATION_SECRETS_ARN',
  /** ARN of the Secrets Manager secret with the vendors' API keys (deployed). */
  vendorApiSecretsArn: 'VENDOR_API_SECRETS_ARN',
  /** Path of the git-ignored local secrets file (`npm start`); used when no ARN is set. */
  localSecretsFile: 'LOCAL_SECRETS_FILE',
  /** Seconds a container caches a secret before reading it again (rotation latency). */
  secretsCacheSeconds: 'SECRETS_CACHE_SECONDS',
  /**
   * `true` only under the local runtime: outbound HTTP may use plain http and private addresses (the fakes
   * on 127.0.0.1). Never set by the CDK stack. Read by `platform/url-guard.ts`'s `urlPolicyRelaxationFromEnv`.
   */
  outboundAllowLocal: 'OUTBOUND_ALLOW_LOCAL',
  // ingest
  queueUrl: 'QUEUE_URL',
  /**
   * The events queue's visibility timeout (seconds): the worker brings an event another attempt holds back
   * sooner than that, never later. Unset: the queue's own timeout applies.
   */
  queueVisibilityTimeoutSeconds: 'QUEUE_VISIBILITY_TIMEOUT_SECONDS',
  /**
   * The events queue's `maxReceiveCount`: on that receive a transient failure is the last one, and the worker
   * parks and dead-letters the event with its reason instead of leaving SQS to move it without one. Unset:
   * SQS's redrive alone.
   */
  queueMaxReceiveCount: 'QUEUE_MAX_RECEIVE_COUNT',
  /** The archive queue's `maxReceiveCount`, for the archive's last receive (as {@link queueMaxReceiveCount}). */
  archiveQueueMaxReceiveCount: 'ARCHIVE_QUEUE_MAX_RECEIVE_COUNT',
  maxBodyBytes: 'MAX_BODY_BYTES',
  sqsMaxMessageBytes: 'SQS_MAX_MESSAGE_BYTES',
  signatureToleranceSeconds: 'SIGNATURE_TOLERANCE_SECONDS',
  // worker
  ledgerTableName: 'LEDGER_TABLE_NAME',
  /** Seconds an interview's ledger item is kept after its last write. */
  ledgerRetentionSeconds: 'LEDGER_RETENTION_SECONDS',
  /** Seconds an attempt holds its claims (between the worker's timeout and the queue's visibility timeout). */
  claimLeaseSeconds: 'CLAIM_LEASE_SECONDS',
  /**
   * Seconds an ATS write whose call got no answer (it may still land) is left alone before another attempt
   * looks for it in the ATS and makes it again if absent.
   */
  unansweredSettleSeconds: 'UNANSWERED_SETTLE_SECONDS',
  atsAdapter: 'ATS_ADAPTER',
  /** JSON settings of the chosen ATS adapter (base URL, stage ids, custom field ids; no credentials). */
  atsConfig: 'ATS_CONFIG',
  /**
   * How many worker instances run at once at most (the event source's maximum concurrency): each takes that
   * part of the ATS account's rate limit (ats/rate-share.ts). Unset locally: one process, one limiter.
   */
  atsRateShare: 'ATS_RATE_SHARE',
  round0ApiBaseUrl: 'ROUND0_API_BASE_URL',
  micro1ApiBaseUrl: 'MICRO1_API_BASE_URL',
  slackNotifications: 'SLACK_NOTIFICATIONS',
  /** Queue the worker sends permanently failed messages to, with the reason attached. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** ATS stage id to move an application to once its screening is completed (optional). */
  atsCompletedStageId: 'ATS_COMPLETED_STAGE_ID',
  /** ATS custom field id that receives the screening score (optional). */
  atsScoreFieldId: 'ATS_SCORE_FIELD_ID',
  /** The archive queue: the worker sends one task per asset to archive to it. */
  archiveQueueUrl: 'ARCHIVE_QUEUE_URL',
  // archive
  /** Where the archive sends a task that failed permanently, with the reason attached. */
  archiveDeadLetterQueueUrl: 'ARCHIVE_DEAD_LETTER_QUEUE_URL',
  /**
   * JSON object: per vendor, the hosts its media URLs may name (`{"micro1":["*.micro1.ai"],"round0":["storage.round0.io"]}`),
   * in the URL guard's host syntax.
   */
  archiveMediaHosts: 'ARCHIVE_MEDIA_HOSTS',
  /** `highest` (only the highest-bandwidth variant of an HLS master playlist) or `all`. */
  archiveVariants: 'ARCHIVE_VARIANTS',
  /** The bucket's expiration of archived media in seconds (`archiveExpirationDays`): the manifest expires with it. */
  archiveExpirationSeconds: 'ARCHIVE_EXPIRATION_SECONDS',
} as const;
