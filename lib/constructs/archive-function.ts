/**
 * The archive Lambda: consumes the archive queue one asset at a time, streams the asset from the vendor's
 * media host into the bucket under `interviews/`, and tells the worker through the events queue when a
 * batch is complete. What it may call is `archiveGrants` in lib/permissions.ts.
 */
import { Annotations, type Duration, Names } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { archiveManifestPkPrefix, parkedPkPrefix } from '../../functions/ledger/partitions.js';
import { envNames } from '../../functions/platform/env.js';
import type { VendorName } from '../../functions/vendors/envelope.js';
import { acknowledgeObjectWildcard } from '../compliance.js';
import { applyGrants, archiveGrants, leadingKeysCondition } from '../permissions.js';
import { resources } from '../resources.js';
import { type FunctionObservability, propsFromResources, ServiceFunction } from './service-function.js';

/** Which variants of an HLS master playlist are archived (`ARCHIVE_VARIANTS`). */
export type ArchiveVariants = 'highest' | 'all';

/** Per vendor, the hosts its media URLs may name (`ARCHIVE_MEDIA_HOSTS`, URL guard syntax). */
export type ArchiveMediaHosts = Readonly<Record<VendorName, readonly string[]>>;

export interface ArchiveFunctionProps {
  /** The archive queue the function consumes. */
  readonly queue: IQueue;
  /** Where the function sends tasks that failed permanently, with the reason attached. */
  readonly deadLetterQueue: IQueue;
  /** The events queue, for the `archive.completed` event of a finished batch. */
  readonly eventsQueue: IQueue;
  readonly bucket: IBucket;
  readonly ledgerTable: ITable;
  /**
   * The vendor API secret, for the ROUND0 API key (fresh `audio_url`s once one expired). Never the
   * integration secret: the archive fetches what the vendors' answers point at and needs no ATS credential.
   */
  readonly vendorApiSecret: ISecret;
  /** `ARCHIVE_MEDIA_HOSTS`, serialised as JSON. */
  readonly mediaHosts: ArchiveMediaHosts;
  /** `ARCHIVE_VARIANTS`. */
  readonly variants: ArchiveVariants;
  /** `ROUND0_API_BASE_URL`. */
  readonly round0ApiBaseUrl: string;
  /** The bucket's expiration of archived media (`ARCHIVE_EXPIRATION_SECONDS`): the manifest goes with it. */
  readonly expiration?: Duration;
  /** Log retention, log level and tracing. */
  readonly observability: FunctionObservability;
}

export class ArchiveFunction extends Construct {
  public readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: ArchiveFunctionProps) {
    super(scope, id);
    const settings = resources.archive;
    // A deploy that would refuse every recording of a vendor says so at synth, not through the DLQ alarm.
    for (const [vendor, hosts] of Object.entries(props.mediaHosts)) {
      if (hosts.length > 0) continue;
      Annotations.of(this).addWarningV2(
        `interview-sync:no-media-hosts-${vendor}`,
        `archiveMediaHosts.${vendor} is empty: every ${vendor} recording will be refused and dead-lettered ` +
          '(the archive DLQ alarm fires). Add the host(s) its media URLs name, e.g. ' +
          `-c archiveMediaHosts='{"micro1":["micro1.ai","*.micro1.ai"],"round0":["storage.round0.io"]}'.`,
      );
    }

    this.function = new ServiceFunction(this, 'Function', {
      ...propsFromResources(settings),
      ...props.observability,
      environment: {
        [envNames.ledgerTableName]: props.ledgerTable.tableName,
        [envNames.bucketName]: props.bucket.bucketName,
        [envNames.queueUrl]: props.eventsQueue.queueUrl,
        [envNames.archiveQueueUrl]: props.queue.queueUrl,
        [envNames.archiveDeadLetterQueueUrl]: props.deadLetterQueue.queueUrl,
        [envNames.archiveQueueMaxReceiveCount]: String(resources.archiveQueue.maxReceiveCount),
        [envNames.vendorApiSecretsArn]: props.vendorApiSecret.secretArn,
        [envNames.round0ApiBaseUrl]: props.round0ApiBaseUrl,
        [envNames.archiveMediaHosts]: JSON.stringify(props.mediaHosts),
        [envNames.archiveVariants]: props.variants,
        ...(props.expiration === undefined
          ? {}
          : { [envNames.archiveExpirationSeconds]: String(props.expiration.toSeconds()) }),
      },
    });

    // Added directly rather than through `SqsEventSource`, for the reason given in the Worker construct: its
    // `bind` grants GetQueueUrl and ChangeMessageVisibility, which no code here calls.
    this.function.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(props.queue.node)}`, {
      eventSourceArn: props.queue.queueArn,
      batchSize: settings.batchSize,
      maxConcurrency: settings.maxConcurrency,
      // The handler answers with a partial batch response (Powertools batch): with a batch of one a failed
      // asset is simply retried, and a future larger batch would retry only its failed assets.
      reportBatchItemFailures: true,
    });

    const archived = resources.bucket.archivePrefix;
    applyGrants(this.function, archiveGrants, {
      archiveQueue: { resourceArns: [props.queue.queueArn] },
      archiveDeadLetterQueue: { resourceArns: [props.deadLetterQueue.queueArn] },
      eventsQueue: { resourceArns: [props.eventsQueue.queueArn] },
      // Its own items only (the manifest, its leases, the parking lot): a task fetches vendor-supplied URLs and
      // parses their playlists, so it is kept away from the interview state that makes ATS writes exactly once.
      archiveManifest: {
        resourceArns: [props.ledgerTable.tableArn],
        conditions: leadingKeysCondition([archiveManifestPkPrefix]),
      },
      parkingLot: {
        resourceArns: [props.ledgerTable.tableArn],
        conditions: leadingKeysCondition([parkedPkPrefix]),
      },
      archiveObjects: { resourceArns: [props.bucket.arnForObjects(`${archived}*`)] },
      vendorApiSecret: { resourceArns: [props.vendorApiSecret.secretArn] },
    });
    acknowledgeObjectWildcard(
      this.function,
      props.bucket,
      archived,
      `Archived keys are per interview and asset (functions/archive/types.ts); the wildcard is confined to ${archived}.`,
    );
  }
}
