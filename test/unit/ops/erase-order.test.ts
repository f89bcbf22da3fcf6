/**
 * `executeErase` cut short (local/ops/erase.ts): what leads to the rest of a candidate's data stays until
 * the rest is gone, so the erase can be run again by ATS candidate id as well as by e-mail. The S3 outage
 * is a client fault (aws-sdk-client-mock); the whole erase runs against the emulators in privacy.test.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandInput,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  caveatLines,
  type DeadLetterSweep,
  type ErasePlan,
  executeErase,
  outcomeLines,
  rerunNeeded,
  stoppedLines,
} from '../../../local/ops/erase.js';

const dynamodb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

afterEach(() => {
  dynamodb.reset();
  s3.reset();
});

const plan: ErasePlan = {
  interviews: [{ vendor: 'round0', interviewKey: 'int-1' }],
  states: [{ pk: 'INTERVIEW#round0#int-1', sk: 'STATE' }],
  archiveItems: [{ pk: 'ARCHIVE#round0#int-1', sk: 'MANIFEST' }],
  otherItems: [],
  parked: [{ pk: 'PARKED#failed', sk: 'round0:evt_1' }],
  mediaPrefixes: ['interviews/int-1/'],
  otherObjects: [],
  claimChecks: [],
  rawEvents: ['raw/round0/2026-12-01/round0:evt_1.json'],
  rawRewrites: [],
  keysNamingCandidate: new Set(),
  identities: { emails: 1, names: 1, pseudonyms: 1, candidateIds: 1 },
  notSearched: [],
  mentionedOnly: [],
};

const deletedItems = () =>
  dynamodb.commandCalls(DeleteCommand).map((call) => String(call.args[0].input.Key?.pk));

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const target = () => ({
  dynamodb: new DynamoDBClient({ region: 'us-east-1', credentials }),
  s3: new S3Client({ region: 'us-east-1', credentials }),
  table: 'ledger',
  bucket: 'bucket',
  versioned: false,
  progress: { isTTY: false, write: () => true } as unknown as NodeJS.WritableStream,
});

describe('executeErase', () => {
  it('keeps every ledger item (the archive manifest, the interview items: what leads to the media) when S3 fails on the media', async () => {
    // Prepare: the media listing answers, their deletion fails (an S3 outage)
    dynamodb.on(DeleteCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'interviews/int-1/answer.mp3' }] });
    s3.on(DeleteObjectsCommand).rejects(
      Object.assign(new Error('S3 unavailable'), { name: 'ServiceUnavailable' }),
    );

    // Act
    await expect(executeErase(plan, target())).rejects.toThrow('S3 unavailable');

    // Assess: nothing deleted from the ledger, so the same erase finds the media again, by e-mail through
    // the manifest's batch items even once the interview items have expired
    expect(deletedItems()).toEqual([]);
  });

  it('deletes the interview items last, after the raw events', async () => {
    // Prepare
    dynamodb.on(DeleteCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(DeleteObjectsCommand).resolves({});

    // Act
    await executeErase(plan, target());

    // Assess
    expect(deletedItems()).toEqual(['ARCHIVE#round0#int-1', 'PARKED#failed', 'INTERVIEW#round0#int-1']);
    const rawDeleted = s3
      .commandCalls(DeleteObjectsCommand)
      .flatMap((call) => (call.args[0].input.Delete?.Objects ?? []).map((object) => object.Key));
    expect(rawDeleted).toEqual(['raw/round0/2026-12-01/round0:evt_1.json']);
  });
});

describe('executeErase and unfinished uploads', () => {
  /** Open multipart uploads as S3 lists them: by prefix, two per page. */
  const openUploads = (uploads: Array<{ Key: string; UploadId: string }>) => {
    s3.on(ListMultipartUploadsCommand).callsFake((input: ListMultipartUploadsCommandInput) => {
      const listed = uploads.filter((upload) => upload.Key.startsWith(input.Prefix ?? ''));
      const from =
        input.UploadIdMarker === undefined
          ? 0
          : listed.findIndex((u) => u.UploadId === input.UploadIdMarker) + 1;
      const page = listed.slice(from, from + 2);
      const truncated = from + 2 < listed.length;
      return {
        Uploads: page,
        IsTruncated: truncated,
        ...(truncated ? { NextKeyMarker: page.at(-1)?.Key, NextUploadIdMarker: page.at(-1)?.UploadId } : {}),
      };
    });
  };

  it('aborts every upload left open under the media prefixes (their parts are the recordings too), page by page', async () => {
    // Prepare: three of the candidate's (one completed meanwhile) and another interview's
    dynamodb.on(DeleteCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(DeleteObjectsCommand).resolves({});
    openUploads([
      { Key: 'interviews/int-1/screen/segment-00001.ts', UploadId: 'u1' },
      { Key: 'interviews/int-1/webcam/segment-00001.ts', UploadId: 'u2' },
      { Key: 'interviews/int-1/report.pdf', UploadId: 'u3' },
      { Key: 'interviews/int-2/screen/segment-00001.ts', UploadId: 'u4' },
    ]);
    s3.on(AbortMultipartUploadCommand).resolves({});
    s3.on(AbortMultipartUploadCommand, { UploadId: 'u3' }).rejects(
      Object.assign(new Error('gone'), { name: 'NoSuchUpload' }),
    );

    // Act
    const outcome = await executeErase(plan, target());

    // Assess
    const aborted = s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input);
    expect(aborted).toEqual([
      { Bucket: 'bucket', Key: 'interviews/int-1/screen/segment-00001.ts', UploadId: 'u1' },
      { Bucket: 'bucket', Key: 'interviews/int-1/webcam/segment-00001.ts', UploadId: 'u2' },
      { Bucket: 'bucket', Key: 'interviews/int-1/report.pdf', UploadId: 'u3' },
    ]);
    expect(outcome.uploadsAborted).toBe(3);
    expect(outcomeLines(plan, outcome, true)).toContain(
      'bucket: 3 unfinished upload(s) of their media aborted (their parts deleted)',
    );
  });

  it('stops before any ledger item goes when S3 will not list the uploads (no permission)', async () => {
    // Prepare
    dynamodb.on(DeleteCommand).resolves({});
    s3.on(ListMultipartUploadsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const erase = executeErase(plan, target());

    // Assess: nothing deleted, so the same erase can be run again once the permission is given
    await expect(erase).rejects.toThrow('denied');
    expect(deletedItems()).toEqual([]);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });
});

describe('caveatLines', () => {
  it('never says the queues are empty when it could not read one, or had none to read', () => {
    // Act
    const unreadable = caveatLines([
      { name: 'events', depth: 0 },
      { name: 'archive', depth: undefined },
    ]);
    const none = caveatLines([]);
    const empty = caveatLines([{ name: 'events', depth: 0 }]);

    // Assess
    expect(unreadable[0]).toMatch(/^queues: not checked \(could not read archive\)/);
    expect(none[0]).toMatch(/^queues: not checked \(no queue given\)/);
    expect(empty[0]).toMatch(/^queues: empty now\./);
  });

  it('names the ledger backups a restore would bring the erased items back from', () => {
    // Assess
    expect(caveatLines([{ name: 'events', depth: 0 }]).at(-1)).toContain('point-in-time recovery backups');
  });
});

describe('rerunNeeded (exit code 3)', () => {
  /** A sweep of the events DLQ that deleted one of the candidate's four and left three others' there. */
  const swept: DeadLetterSweep[] = [
    {
      queue: 'deadLetter',
      label: 'events DLQ',
      found: 4,
      read: 4,
      deleted: 1,
      notDeleted: 0,
      released: 3,
      notReleased: 0,
      undecided: 0,
    },
  ];

  it('asks for a second run while a queue not swept holds messages, could not be read, or none was read', () => {
    // Assess
    expect(rerunNeeded([{ name: 'events', depth: 0 }])).toBe(false);
    expect(rerunNeeded([{ name: 'archive', depth: 2 }])).toBe(true);
    expect(rerunNeeded([{ name: 'archive', depth: undefined }])).toBe(true);
    expect(rerunNeeded([])).toBe(true);
    // A dead-letter queue swept is not waited for: what was left on it is not the candidate's
    expect(rerunNeeded([{ name: 'deadLetter', depth: 3 }], swept)).toBe(false);
  });

  it('asks for a second run when a swept dead-letter queue holds more than its sweep left: dead letters arrived since', () => {
    // Prepare: after that sweep, five are there at the end
    const depths = [
      { name: 'events', depth: 0 },
      { name: 'deadLetter', depth: 5 },
    ];

    // Act
    const rerun = rerunNeeded(depths, swept);
    const lines = caveatLines(depths, swept);

    // Assess
    expect(rerun).toBe(true);
    expect(lines[0]).toBe(
      'dead letters arrived during the erase (deadLetter: 2 more than the sweep left): they may be this ' +
        'candidate’s; run the erase again (it sweeps them).',
    );
    expect(lines.join('\n')).not.toMatch(/run the erase again to be sure/);
  });
});

describe('stoppedLines', () => {
  it('tells what was planned and how to finish by candidate id, naming the error by class only', () => {
    // Act
    const lines = stoppedLines(
      plan,
      ['cand-7', 'cand-7', 'opp-3'],
      Object.assign(new Error('Rate exceeded for INTERVIEW#round0#int-1'), { name: 'ThrottlingException' }),
    );

    // Assess
    expect(lines[0]).toBe(
      'erase stopped before the end (ThrottlingException): part of the plan below may be erased already',
    );
    expect(lines).toContain('  INTERVIEW#round0#int-1 / STATE');
    expect(lines.slice(-2)).toEqual([
      '  npm run ops -- erase --candidate-id cand-7 --yes',
      '  npm run ops -- erase --candidate-id opp-3 --yes',
    ]);
  });
});
