/**
 * What the unit tests of `ops erase` and `ops status <e-mail>` build by hand: the candidate's findings and
 * sources (local/ops/candidate.ts), an erase plan and where it runs (local/ops/erase.ts), and the ledger,
 * bucket and queues of a deployed stage as aws-sdk-client-mock answers for them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetBucketVersioningCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { CandidateFindings, CandidateSources, InterviewRef } from '../../../local/ops/candidate.js';
import type { ErasePlan } from '../../../local/ops/erase.js';

/** The candidate known by `emails` and `candidateIds` (and their `interviews`), nothing of theirs read yet. */
export const findingsOf = (
  emails: string[],
  candidateIds: string[] = [],
  interviews: InterviewRef[] = [],
): CandidateFindings => ({
  interviews,
  emails: new Set(emails),
  pseudonyms: new Set(),
  names: new Set(),
  candidateIds: new Set(candidateIds),
  events: [],
  states: [],
  archiveItems: [],
});

/** Sources holding `parts` and nothing else. */
export const sourcesOf = (parts: Partial<CandidateSources> = {}): CandidateSources => ({
  events: [],
  states: [],
  archiveItems: [],
  otherItems: [],
  otherObjects: [],
  unreadableRaw: [],
  ...parts,
});

/** A plan erasing `parts` and nothing else, for a candidate searched for by one e-mail. */
export const erasePlan = (parts: Partial<ErasePlan> = {}): ErasePlan => ({
  interviews: [],
  states: [],
  archiveItems: [],
  otherItems: [],
  parked: [],
  mediaPrefixes: [],
  otherObjects: [],
  claimChecks: [],
  rawEvents: [],
  rawRewrites: [],
  keysNamingCandidate: new Set(),
  identities: { emails: 1, names: 0, pseudonyms: 0, candidateIds: 0 },
  notSearched: [],
  mentionedOnly: [],
  ...parts,
});

/** Where `executeErase` erases: the table `ledger` and the versioned bucket `media`, read through `s3`. */
export const eraseTarget = (s3: S3Client) => ({
  dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  s3,
  table: 'ledger',
  bucket: 'media',
  versioned: true,
});

/** The URL of the deployed stage's queue `name`. */
export const queueUrl = (name: string) => `https://sqs.eu-west-1.amazonaws.com/111122223333/${name}`;

/**
 * The ledger, bucket and queues of a deployed stage (aws-sdk-client-mock), reset after each test: call it once,
 * at the top of a test file.
 */
export const mockStageStores = () => {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const s3 = mockClient(S3Client);
  const sqs = mockClient(SQSClient);

  afterEach(() => {
    dynamodb.reset();
    s3.reset();
    sqs.reset();
  });

  /** A stage holding `items` in its ledger, nothing in its bucket, and empty queues. */
  const stageHolding = (items: Array<Record<string, unknown>> = []) => {
    dynamodb.on(ScanCommand).resolves({ Items: items });
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(ListObjectsV2Command).resolves({ Contents: [], CommonPrefixes: [] });
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [], DeleteMarkers: [], CommonPrefixes: [] });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  };

  return { dynamodb, s3, sqs, stageHolding };
};
