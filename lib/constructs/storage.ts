/**
 * Where interview-sync keeps state: the archive bucket (claim checks, raw events and recordings), its
 * access-log bucket and the interview ledger (per-interview state, event dedupe and effects). Part of the
 * stateful stack; construct ids are those of the former single stack, so logical ids did not change.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  PartitionDateSource,
  StorageClass,
  TargetObjectKeyFormat,
} from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { resources } from '../resources.js';

const tableDefaults = {
  // Webhook traffic is bursty and small: on-demand costs nothing while idle.
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
} as const;

/** Key prefix of the archive bucket's server access logs in the access-log bucket. */
export const archiveAccessLogsPrefix = 'archive-bucket/';

export interface StorageProps {
  /**
   * Whether the buckets and the table outlive the stack (`RemovalPolicy.RETAIN`). When false they are
   * deleted with it, the buckets emptied first (CDK's auto-delete custom resource): for throw-away stages.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * How long S3 server access logs of the archive bucket are kept before they expire.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
  /**
   * How long a raw event (`raw/`, the exact delivery kept for replays) is kept. Whole days.
   * @default Duration.days(30)
   */
  readonly rawEventRetention?: Duration;
  /**
   * Age after which archived interview media (`interviews/`) moves to S3 Glacier Instant Retrieval. Whole
   * days.
   * @default Duration.days(90)
   */
  readonly archiveTransitionAfter?: Duration;
  /**
   * Age after which archived interview media (`interviews/`) is deleted. Whole days, later than
   * {@link archiveTransitionAfter}.
   * @default undefined (kept until deleted on purpose)
   */
  readonly archiveExpiration?: Duration;
}

/** Every default of {@link StorageProps}, in one place. */
export const storageDefaults = {
  retain: true,
  accessLogRetention: Duration.days(365),
  rawEventRetention: Duration.days(30),
  archiveTransitionAfter: Duration.days(90),
} as const;

export class Storage extends Construct {
  /** Claim checks (`claim-checks/`, expiring) and archived media (`interviews/`). */
  public readonly bucket: Bucket;
  /** S3 server access logs of {@link bucket}, under {@link archiveAccessLogsPrefix}. */
  public readonly accessLogsBucket: Bucket;
  /** Effects ledger and per-interview state. */
  public readonly ledgerTable: Table;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const retain = props.retain ?? storageDefaults.retain;
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const archiveExpiration = props.archiveExpiration;
    const accessLogRetention = props.accessLogRetention ?? storageDefaults.accessLogRetention;
    // S3 log delivery is allowed by a bucket policy statement for `logging.s3.amazonaws.com`, limited to
    // this stack's archive bucket and account (aws:SourceArn, aws:SourceAccount), instead of CDK's default
    // for an unset flag: the legacy LogDeliveryWrite ACL. The policy works with ACLs disabled
    // (BucketOwnerEnforced), which AWS recommends. Set here, before any child exists, so the flag applies
    // to these buckets only; it has the same effect as the flag in cdk.json.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // SSE-S3: log delivery cannot use the AWS-managed `aws/s3` KMS key, and a customer-managed key would add
      // cost and a key policy for no gain here.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Audit records: on a retained stage they outlive the stack and leave by their lifecycle rule only.
      removalPolicy,
      autoDeleteObjects: !retain,
      // Versioned, so that removing a record takes deleting a version, which no one may on a retained stage
      // (below); only the lifecycle rules, which bucket policies do not bind, remove records.
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: accessLogRetention,
          // The expiration above makes a record noncurrent (a delete marker over it), and noncurrent days
          // count from then: with the retention here too, a record was kept twice the retention. The
          // versions made noncurrent go a day later. On a retained stage no principal of the account may
          // overwrite or delete a record (below), so only the expiration makes one noncurrent.
          noncurrentVersionExpiration: Duration.days(1),
        },
        // A record expired above leaves a delete marker over no version once its version is gone.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    });
    if (retain) {
      // Removing a version is the only way to erase a record of a versioned bucket; to do it, one must first
      // change this policy, a management event CloudTrail keeps 90 days in every account (Event history), as
      // is suspending versioning (not denied: CloudFormation may set versioning again on any bucket update).
      // Not on a stage destroyed with its stack: `autoDeleteObjects` deletes every version.
      this.accessLogsBucket.addToResourcePolicy(
        new PolicyStatement({
          sid: 'DenyErasingAccessLogs',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['s3:DeleteObjectVersion'],
          resources: [this.accessLogsBucket.arnForObjects('*')],
        }),
      );
      // Nor overwrite or delete a record (which would leave the original noncurrent, gone a day later): only
      // S3 log delivery, an AWS service principal, writes here (AWS's data-perimeter condition).
      this.accessLogsBucket.addToResourcePolicy(
        new PolicyStatement({
          sid: 'DenyOverwritingAccessLogs',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['s3:PutObject', 's3:DeleteObject'],
          resources: [this.accessLogsBucket.arnForObjects('*')],
          conditions: { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
        }),
      );
      // Kept with the retained bucket when the stack goes: deleted, it would leave the records erasable.
      this.accessLogsBucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    // No cdk-nag acknowledgement is needed for this bucket's own access logs: AwsSolutions-S1 counts a bucket
    // that receives another bucket's server access logs as compliant.

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // ACLs off, whatever the account's default when the bucket was made (one imported from the former
      // single stack may predate S3's 2023 default): an object ACL could otherwise grant another account
      // access to candidate data, which Block Public Access does not stop (such a grant is not "public").
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Every request to claim checks and recordings (who, which key, when, result), for audits of access
      // to interview data.
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: archiveAccessLogsPrefix,
      // `<prefix><account>/<region>/<bucket>/<yyyy>/<mm>/<dd>/…`: Athena can prune by date.
      targetObjectKeyFormat: TargetObjectKeyFormat.partitionedPrefix(PartitionDateSource.EVENT_TIME),
      // Archived recordings are the record of an interview: an overwrite or delete must be recoverable.
      versioned: true,
      removalPolicy,
      autoDeleteObjects: !retain,
      lifecycleRules: [
        {
          id: 'expire-claim-checks',
          prefix: resources.bucket.claimCheckPrefix,
          expiration: Duration.days(resources.bucket.claimCheckExpirationDays),
          // Versioning keeps the expired object as a noncurrent version; drop it too.
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'expire-raw-events',
          prefix: resources.bucket.rawEventsPrefix,
          // Raw events hold candidate data as the vendor sent it: the retention is a promise, so the
          // noncurrent version (left by the expiry or by a redelivery's overwrite) goes a day later too.
          expiration: props.rawEventRetention ?? storageDefaults.rawEventRetention,
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'archive-to-glacier-instant-retrieval',
          prefix: resources.bucket.archivePrefix,
          // Glacier Instant Retrieval rather than Standard-IA: after the hiring decision an archived interview
          // is read rarely if ever (an audit, a dispute), yet must then play at once from the ATS link —
          // both classes serve reads in milliseconds, and Glacier IR stores for about a third of IA's price
          // (its higher per-GB retrieval fee matters little for media read once or never). Its 90-day
          // minimum storage is met by an archive kept until deleted on purpose. Objects under 128 KB
          // (playlists, keys, small segments) stay in Standard: S3's default minimum transition size
          // skips them, since both classes bill them as 128 KB and a transition costs a request per object.
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: props.archiveTransitionAfter ?? storageDefaults.archiveTransitionAfter,
            },
          ],
          // Optional: by default an archive is kept until deleted on purpose (`npm run ops -- erase`). An
          // expiry before 90 days in Glacier IR is billed as 90 days (its minimum storage duration).
          ...(archiveExpiration === undefined ? {} : { expiration: archiveExpiration }),
          // Every recording uploaded in parts is copied onto itself to record its SHA-256 (s3-store.ts), and
          // a re-archived object is overwritten: each leaves a full-size noncurrent version, which was kept
          // forever (every multipart recording stored twice). Noncurrent versions now go after 30 days (a
          // window to undo an accidental delete or overwrite), a day with a retention (it is a promise).
          noncurrentVersionExpiration: archiveExpiration === undefined ? Duration.days(30) : Duration.days(1),
        },
        {
          id: 'abort-incomplete-uploads',
          // Recordings are uploaded in parts; parts of an upload the archive never completed (a timeout
          // cuts it short before it could abort) are billed until aborted.
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    // Its TLS-only policy is kept with the retained bucket when the stack goes: deleted, the bucket of
    // interview recordings would accept plain HTTP.
    if (retain) this.bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.ledgerTable = new Table(this, 'LedgerTable', {
      partitionKey: { name: resources.ledgerTable.partitionKey, type: AttributeType.STRING },
      sortKey: { name: resources.ledgerTable.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: resources.ledgerTable.ttlAttribute,
      ...tableDefaults,
      // The ledger is what makes ATS effects exactly-once; losing it with a stack would repeat them, and
      // losing it to a stray DeleteTable too (RETAIN covers the stack only).
      removalPolicy,
      deletionProtection: retain,
    });
  }
}
