/**
 * Edges of `ops erase` (local/ops/erase.ts) the other erase tests leave open: which records are taken for
 * the candidate's (and which are another person's), and that a partial outcome is never reported as done.
 * S3 and SQS are stand-ins (aws-sdk-client-mock); the whole erase runs against the emulators elsewhere.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { RawEvent } from '../../../functions/queue/raw-events.js';
import type { InterviewRef } from '../../../local/ops/candidate.js';
import {
  caveatLines,
  type DeadLetterSweep,
  deadLetterLines,
  type ErasePlan,
  emptySweep,
  executeErase,
  identityMatcher,
  outcomeLines,
  planErase,
  sweepDeadLetterQueues,
  sweepIncomplete,
} from '../../../local/ops/erase.js';
import { erasePlan, eraseTarget, findingsOf, sourcesOf } from './erase-factories.js';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

afterEach(() => {
  s3.reset();
  sqs.reset();
});

const bucket = { client: new S3Client({ region: 'us-east-1' }), bucket: 'media' };

describe('erase: whose record is it (edges)', () => {
  it.each([
    ['a longer top-level domain', '{"email":"jane@example.com.au"}'],
    ['a longer domain label', '{"email":"jane@example.community"}'],
  ])('does not take an address that continues the erased one with %s for theirs', (_label, text) => {
    // Act
    const matches = identityMatcher(findingsOf(['jane@example.com']))(text);

    // Assess
    expect(matches).toBe(false);
  });

  it('takes the address erased at the end of a sentence for theirs', () => {
    // Act
    const matches = identityMatcher(findingsOf(['jane@example.com']))('written by jane@example.com.');

    // Assess
    expect(matches).toBe(true);
  });

  it('takes the candidate id of a micro1 session key for theirs, and not the job’s interview id', () => {
    // Prepare: known only by the session they took part in
    const matches = identityMatcher(
      findingsOf([], [], [{ vendor: 'micro1', interviewKey: 'session:job-interview-9:cand-424242' }]),
    );

    // Act, Assess
    expect(matches('{"candidate":"cand-424242"}')).toBe(true);
    expect(matches('{"interview":"job-interview-9"}')).toBe(false);
  });
});

describe('planErase (edges)', () => {
  it('fails, rather than taking it for empty, when an object outside the known prefixes cannot be read', async () => {
    // Prepare: S3 refuses the read (a key policy, a KMS key it may not use)
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const sources = sourcesOf({ otherObjects: [{ key: 'exports/answers.json', size: 10 }] });

    // Act
    const plan = planErase(sources, findingsOf(['jane@example.com']), bucket);

    // Assess
    await expect(plan).rejects.toThrow('denied');
  });

  it('erases the media of every interview of theirs, by ROUND0 interview id and micro1 report id, manifest or not', async () => {
    // Prepare: the archive wrote objects but no manifest item yet (cut off by its timeout)
    const findings = findingsOf(
      ['jane@example.com'],
      [],
      [
        { vendor: 'round0', interviewKey: 'int-0001' },
        { vendor: 'micro1', interviewKey: 'report:rep-0002' },
        { vendor: 'micro1', interviewKey: 'session:job-9:cand-424242' },
      ],
    );

    // Act
    const plan = await planErase(sourcesOf(), findings, bucket);

    // Assess: a session is no archive of its own (its report is)
    expect(plan.mediaPrefixes).toEqual(['interviews/int-0001/', 'interviews/rep-0002/']);
  });

  it('erases the media under a prefix a manifest of theirs names, besides the interview’s own', async () => {
    // Prepare: a manifest written under an older naming of the prefix
    const ref: InterviewRef = { vendor: 'round0', interviewKey: 'int-0001' };
    const findings = {
      ...findingsOf(['jane@example.com'], [], [ref]),
      archiveItems: [{ pk: 'ARCHIVE#round0#int-0001', sk: 'interviews/legacy-0001/answer-1.mp3', ref }],
    };

    // Act
    const plan = await planErase(sourcesOf(), findings, bucket);

    // Assess
    expect(plan.mediaPrefixes).toEqual(['interviews/int-0001/', 'interviews/legacy-0001/']);
  });
});

describe('executeErase of a shared batch (edges)', () => {
  const key = 'raw/batches/2026-12-05/0123456789abcdef0123456789abcdef.json';
  const raw = (dedupeKey: string): RawEvent => ({
    schemaVersion: 1,
    vendor: 'micro1',
    type: 'interview_report.created',
    dedupeKey,
    receivedAt: '2026-12-05T10:00:00.000Z',
    headers: {},
    bodyBase64: Buffer.from(`{"who":"${dedupeKey}"}`).toString('base64'),
  });

  it('drops the candidate’s delivery by its place in the batch, even when the plan names no dedupe key', async () => {
    // Prepare: an unversioned bucket holding Maya's delivery and Otto's in one batch
    const maya = raw('micro1:r:maya');
    const otto = raw('micro1:r:otto');
    const body = JSON.stringify({ schemaVersion: 2, events: [maya, otto] });
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => body } as never });
    s3.on(PutObjectCommand).resolves({});
    const plan = erasePlan({ rawRewrites: [{ key, drop: ['#0'], dropDedupeKeys: [], dropEntries: [] }] });

    // Act
    await executeErase(plan, { ...eraseTarget(bucket.client), versioned: false });

    // Assess: written again with Otto's alone
    const written = s3
      .commandCalls(PutObjectCommand)
      .map((call) => JSON.parse(String(call.args[0].input.Body)));
    expect(written).toEqual([{ schemaVersion: 2, events: [otto] }]);
  });
});

describe('sweepDeadLetterQueues (edges)', () => {
  const url = 'https://sqs.local/dlq';
  /** A DLQ holding `bodies`, received in one go; deletes and releases answer. */
  const dlqHolding = (...bodies: string[]) => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        ApproximateNumberOfMessages: String(bodies.length),
        ApproximateNumberOfMessagesNotVisible: '0',
      },
    });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `h${i}`, Body })),
      })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Failed: [] });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
  };
  const sweep = (plan: ErasePlan) =>
    sweepDeadLetterQueues(plan, findingsOf(['jane@example.com']), {
      sqs: new SQSClient({ region: 'us-east-1' }),
      s3: bucket.client,
      queues: [{ queue: 'deadLetter', label: 'events DLQ', url }],
    });
  const deletedHandles = () =>
    sqs
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => entry.ReceiptHandle));
  const claimCheck = (key: string) => JSON.stringify({ kind: 'claim-check', bucket: 'media', key });

  it('deletes a dead letter whose claim check the plan found the candidate’s, though S3 will not give it now', async () => {
    // Prepare
    dlqHolding(claimCheck('claim-checks/theirs.json'));
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown' }));

    // Act
    const sweeps = await sweep(erasePlan({ claimChecks: ['claim-checks/theirs.json'] }));

    // Assess
    expect(deletedHandles()).toEqual(['h0']);
    expect(sweeps[0]).toMatchObject({ deleted: 1, undecided: 0 });
    expect(sweepIncomplete(sweeps)).toBe(false);
  });

  it('leaves a dead letter whose claim check cannot be read undecided, and says the erase is incomplete', async () => {
    // Prepare: not one of the plan's; S3 refuses it (not gone: it may be the candidate's)
    dlqHolding(claimCheck('claim-checks/unknown.json'));
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const sweeps = await sweep(erasePlan());

    // Assess
    expect(deletedHandles()).toEqual([]);
    expect(sweeps[0]).toMatchObject({ deleted: 0, released: 0, undecided: 1 });
    expect(sweepIncomplete(sweeps)).toBe(true);
    expect(deadLetterLines(sweeps).join('\n')).toContain(
      '1 message(s) left on it whose claim check could not be read',
    );
  });

  it('deletes a dead letter that names the candidate only in the raw delivery it carries, in base64', async () => {
    // Prepare: the envelope names nobody (a vendor's body the parser took apart); the raw body names Jane
    const body = JSON.stringify({
      kind: 'event',
      event: { dedupeKey: 'round0:evt_9' },
      raw: { bodyBase64: Buffer.from('{"email":"jane@example.com"}').toString('base64') },
    });
    const others = JSON.stringify({ kind: 'event', event: { candidate: { email: 'otto@example.org' } } });
    dlqHolding(body, others);

    // Act
    const sweeps = await sweep(erasePlan());

    // Assess
    expect(deletedHandles()).toEqual(['h0']);
    expect(sweeps[0]).toMatchObject({ deleted: 1, released: 1 });
  });

  it('says the erase is incomplete when SQS refuses to delete the candidate’s dead letter', async () => {
    // Prepare
    dlqHolding(JSON.stringify({ kind: 'event', event: { candidate: { email: 'jane@example.com' } } }));
    sqs.on(DeleteMessageBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
    });

    // Act
    const sweeps = await sweep(erasePlan());

    // Assess
    expect(sweeps[0]).toMatchObject({ deleted: 0, notDeleted: 1 });
    expect(sweepIncomplete(sweeps)).toBe(true);
    expect(deadLetterLines(sweeps).join('\n')).toContain(
      '1 message(s) of the candidate could not be deleted: run the erase again before any redrive',
    );
  });

  it('says the erase is incomplete when messages of the DLQ were in flight (hidden) and could not be read', async () => {
    // Prepare: one visible (another person's), two hidden by a redrive running meanwhile
    dlqHolding(JSON.stringify({ kind: 'event', event: { candidate: { email: 'otto@example.org' } } }));
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '2' },
    });

    // Act
    const sweeps = await sweep(erasePlan());

    // Assess
    expect(sweeps[0]?.failure).toBe('2 message(s) were in flight (hidden) and could not be read');
    expect(sweepIncomplete(sweeps)).toBe(true);
  });

  it('says the erase is incomplete, naming the error, when SQS refuses to hand out the DLQ’s messages', async () => {
    // Prepare
    dlqHolding(JSON.stringify({ kind: 'event', event: { candidate: { email: 'jane@example.com' } } }));
    sqs.on(ReceiveMessageCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const sweeps = await sweep(erasePlan());

    // Assess
    expect(sweeps[0]?.failure).toBe('AccessDenied');
    expect(sweepIncomplete(sweeps)).toBe(true);
    expect(deadLetterLines(sweeps).join('\n')).toContain('events DLQ: not swept (AccessDenied)');
  });

  it('counts a DLQ whose URL it was not given as not swept: the erase is incomplete', async () => {
    // Act
    const sweeps = await sweepDeadLetterQueues(erasePlan(), findingsOf(['jane@example.com']), {
      sqs: new SQSClient({ region: 'us-east-1' }),
      s3: bucket.client,
      queues: [{ queue: 'archiveDeadLetter', label: 'archive DLQ', url: undefined }],
    });

    // Assess
    expect(sweeps).toMatchObject([{ queue: 'archiveDeadLetter', failure: 'its URL is not known' }]);
    expect(sweepIncomplete(sweeps)).toBe(true);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('what the erase prints (edges)', () => {
  it('never prints a ledger key naming the candidate in the outcome, only its digest', () => {
    // Prepare: an item of a kind the tools do not know, keyed by the candidate's e-mail
    const item = { pk: 'EXPORT#jane@example.com', sk: 'v1' };
    const plan = {
      ...erasePlan(),
      otherItems: [item],
      keysNamingCandidate: new Set([`${item.pk} / ${item.sk}`]),
    };
    const outcome = {
      items: 1,
      media: 0,
      otherObjects: 0,
      claimChecks: 0,
      rawEvents: 0,
      rawRewritten: 0,
      mediaKeys: [],
      uploadsAborted: 0,
    };

    // Act
    const lines = outcomeLines(plan, outcome, true);

    // Assess
    expect(lines.join('\n')).not.toContain('jane@');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}\(a key naming the candidate, sha256 [0-9a-f]{12}\)$/),
    );
  });

  it('names a dead-letter queue whose sweep failed among the queues still holding messages', () => {
    // Prepare: the DLQ could not be read, and holds two messages
    const failed: DeadLetterSweep = { ...emptySweep('deadLetter', 'events DLQ'), failure: 'AccessDenied' };

    // Act
    const lines = caveatLines(
      [
        { name: 'events', depth: 0 },
        { name: 'deadLetter', depth: 2 },
      ],
      [failed],
    );

    // Assess: not taken for dead letters that arrived after a complete sweep
    expect(lines[0]).toMatch(/^queues still hold messages, waiting, in flight or delayed \(deadLetter: 2\)/);
  });
});
