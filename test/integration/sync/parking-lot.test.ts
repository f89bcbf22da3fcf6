import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import type { InterviewEvent } from '../../../functions/vendors/index.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { envelope, ledgerTable } from './world.js';

/** A micro1 report whose transcript makes the envelope about `kilobytes` KB of compressible text. */
const aLargeReport = (kilobytes: number): InterviewEvent => {
  const line = {
    timestamp: 1,
    role: 'user',
    content: 'I designed the ingest pipeline and its retries. '.repeat(20),
  };
  const lines = Math.ceil((kilobytes * 1024) / JSON.stringify(line).length);
  return envelope('micro1', 'interview_report.created', {
    set: { 'data.interview_transcript': Array.from({ length: lines }, () => line) },
  });
};

describe('ParkingLot (dynalite)', () => {
  let dynamo: LocalDynamo;
  let clock: number;
  let parking: ParkingLot;

  beforeEach(async () => {
    dynamo = await startDynalite();
    clock = Date.UTC(2024, 0, 16, 15, 0);
    parking = new ParkingLot({ client: dynamo.client, tableName: ledgerTable, now: () => clock++ });
  });

  afterEach(async () => {
    await dynamo.close();
  });

  it('keeps each parked event with its reason and whole envelope, oldest first, per kind', async () => {
    // Prepare
    const ended = envelope('round0', 'interview_ended');
    const started = envelope('round0', 'interview_started');

    // Act
    await parking.park('unmatched', ended, 'no candidate with this e-mail');
    await parking.park('failed', started, 'lever: forbidden');
    await parking.park('unmatched', ended, 'no candidate with this e-mail');

    // Assess
    const unmatched = await parking.list('unmatched');
    expect(unmatched).toEqual([
      {
        kind: 'unmatched',
        parkedAt: '2024-01-16T15:00:00.000Z',
        dedupeKey: ended.dedupeKey,
        vendor: 'round0',
        eventType: 'interview_ended',
        reason: 'no candidate with this e-mail',
        event: ended,
      },
      expect.objectContaining({ parkedAt: '2024-01-16T15:00:00.002Z', event: ended }),
    ]);
    expect(await parking.list('failed')).toEqual([
      expect.objectContaining({ dedupeKey: started.dedupeKey, reason: 'lever: forbidden', event: started }),
    ]);
  });

  it('lists the keys of parked events without reading their envelopes, and removes an entry by its key', async () => {
    // Prepare: a large envelope (~300 KB of transcript) and a small one
    const report = aLargeReport(300);
    const started = envelope('round0', 'interview_started');
    await parking.park('failed', report, 'lever: forbidden');
    await parking.park('failed', started, 'lever: forbidden');

    // Act
    const keys = await parking.listKeys('failed');
    await parking.remove(keys[0] ?? { kind: 'failed', parkedAt: '', dedupeKey: '' });

    // Assess: exactly the keys, oldest first; the removed one is gone
    expect(keys).toEqual([
      { kind: 'failed', parkedAt: '2024-01-16T15:00:00.000Z', dedupeKey: report.dedupeKey },
      { kind: 'failed', parkedAt: '2024-01-16T15:00:00.001Z', dedupeKey: started.dedupeKey },
    ]);
    expect((await parking.list('failed')).map((entry) => entry.dedupeKey)).toEqual([started.dedupeKey]);
  });

  it('reads only the attributes a listing of keys or summaries needs, never the envelopes', async () => {
    // Prepare: the Queries the listings send, as the client sends them
    const projections: string[][] = [];
    dynamo.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as {
          ProjectionExpression?: string;
          ExpressionAttributeNames?: Record<string, string>;
        };
        if (input.ProjectionExpression !== undefined) {
          projections.push(
            input.ProjectionExpression.split(', ').map(
              (name) => input.ExpressionAttributeNames?.[name] ?? name,
            ),
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordProjections' },
    );
    await parking.park('failed', aLargeReport(300), 'lever: forbidden');

    // Act
    const keys = await parking.listKeys('failed');
    const summaries = await parking.listSummaries('failed');

    // Assess
    expect(keys).toHaveLength(1);
    expect(summaries).toHaveLength(1);
    expect(projections).toEqual([
      ['parkedAt', 'dedupeKey'],
      ['parkedAt', 'dedupeKey', 'vendor', 'eventType', 'reason'],
    ]);
  });

  it('parks, reads and removes an event whose dedupe key passes a sort key’s 1024 bytes', async () => {
    // Prepare: a micro1 session's key from two ids the schema accepts (255 characters each; ':' is
    // written as three, '語' is three bytes)
    const session = envelope('micro1', 'interview.started');
    const long = {
      ...session,
      dedupeKey: `micro1:interview.started:${'%3A'.repeat(255)}:${'語'.repeat(255)}`,
    };
    expect(Buffer.byteLength(long.dedupeKey)).toBeGreaterThan(1500);

    // Act
    await parking.park('unmatched', long, 'no candidate with this e-mail');
    await parking.park('unmatched', session, 'no candidate with this e-mail');
    const keys = await parking.listKeys('unmatched');
    const parked = await parking.get(keys[0] ?? { kind: 'unmatched', parkedAt: '', dedupeKey: '' });
    await parking.remove(keys[0] ?? { kind: 'unmatched', parkedAt: '', dedupeKey: '' });

    // Assess: listed under its own key, whole; removed alone
    expect(keys.map((key) => key.dedupeKey)).toEqual([long.dedupeKey, session.dedupeKey]);
    expect(parked?.event).toEqual(long);
    expect((await parking.listKeys('unmatched')).map((key) => key.dedupeKey)).toEqual([session.dedupeKey]);
  });

  it('parks an envelope larger than a DynamoDB item (a claim-checked report) compressed, whole', async () => {
    // Prepare
    const report = aLargeReport(1200);
    expect(JSON.stringify(report).length).toBeGreaterThan(400 * 1024);

    // Act
    await parking.park('unmatched', report, 'no application with this ATS id');

    // Assess
    const [parked] = await parking.list('unmatched');
    expect(parked?.event).toEqual(report);
    expect(parked?.payloadOmitted).toBeUndefined();
  });

  it('keeps the envelope without its payload when even compressed it would not fit', async () => {
    // Prepare: random bytes do not compress
    const report = envelope('micro1', 'interview_report.created', {
      set: { 'data.interview_transcript.0.content': randomBytes(600 * 1024).toString('base64') },
    });

    // Act
    await parking.park('failed', report, 'lever: invalid_request');

    // Assess
    const [parked] = await parking.list('failed');
    expect(parked).toMatchObject({ payloadOmitted: true, reason: 'lever: invalid_request' });
    expect(parked?.event).toEqual({ ...report, payload: null });
  });
});
