/**
 * Where interview-sync keeps state: the archive bucket (claim checks and recordings), the Powertools
 * idempotency table and the effects ledger.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeAwsSolutions } from '../compliance.js';
import { resources } from '../resources.js';

const tableDefaults = {
  // Webhook traffic is bursty and small: on-demand costs nothing while idle.
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  // The ledger is what makes ATS effects exactly-once; losing it with a stack would repeat them.
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

export class Storage extends Construct {
  /** Claim checks (`claim-checks/`, expiring) and archived media (`recordings/`). */
  public readonly bucket: Bucket;
  /** Powertools Idempotency records, one per event dedupe key. */
  public readonly idempotencyTable: Table;
  /** Effects ledger and per-interview state. */
  public readonly ledgerTable: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Archived recordings are the record of an interview: an overwrite or delete must be recoverable.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-claim-checks',
          prefix: resources.bucket.claimCheckPrefix,
          expiration: Duration.days(resources.bucket.claimCheckExpirationDays),
          // Versioning keeps the expired object as a noncurrent version; drop it too.
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          id: 'abort-incomplete-uploads',
          // Recordings are uploaded in parts; parts of an upload the worker never completed are billed
          // until aborted.
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    acknowledgeAwsSolutions(
      this.bucket,
      'S1',
      'Only the two Lambda roles can reach the bucket (public access blocked, TLS only). Server access logs ' +
        'would need a second bucket; enable CloudTrail S3 data events if object-level auditing is required.',
    );

    this.idempotencyTable = new Table(this, 'IdempotencyTable', {
      partitionKey: { name: resources.idempotencyTable.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: resources.idempotencyTable.ttlAttribute,
      ...tableDefaults,
    });

    this.ledgerTable = new Table(this, 'LedgerTable', {
      partitionKey: { name: resources.ledgerTable.partitionKey, type: AttributeType.STRING },
      sortKey: { name: resources.ledgerTable.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: resources.ledgerTable.ttlAttribute,
      ...tableDefaults,
    });
  }
}
