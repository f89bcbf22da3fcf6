/**
 * `ops status` (local/ops/status.ts) finding each interview's parked events on dynalite: read once for all
 * the interviews asked about, a page at a time, each interview given its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import { resources } from '../../../lib/resources.js';
import { readInterviews } from '../../../local/ops/status.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { round0 } from '../sync/world.js';

const table = resources.ledgerTable.name;
let dynamo: LocalDynamo;
let parking: ParkingLot;

beforeAll(async () => {
  dynamo = await startDynalite();
  parking = new ParkingLot({ client: dynamo.client, tableName: table });
  // 30 parked events of interview int-other (a backlog), one unmatched and one failed of int-mine
  for (let i = 0; i < 30; i += 1) {
    await parking.park(
      'failed',
      round0('interview_ended', { eventId: `evt_o${i}`, interviewId: 'int-other' }),
      'x',
    );
  }
  await parking.park(
    'unmatched',
    round0('interview_started', { eventId: 'evt_m1', interviewId: 'int-mine' }),
    'u',
  );
  await parking.park(
    'failed',
    round0('interview_ended', { eventId: 'evt_m2', interviewId: 'int-mine' }),
    'f',
  );
});

afterAll(async () => {
  await dynamo.close();
});

describe('ops status: parked events', () => {
  it('gives each interview its own parked events, reading the parked ones once for all of them', async () => {
    // Prepare: a parking lot that counts the listings started
    const listings: string[] = [];
    const counting = {
      each: (kind: 'unmatched' | 'failed') => {
        listings.push(kind);
        return parking.each(kind);
      },
    };

    // Act
    const records = await readInterviews({ dynamodb: dynamo.client, table, parking: counting }, [
      { vendor: 'round0', interviewKey: 'int-mine' },
      { vendor: 'round0', interviewKey: 'int-other' },
      { vendor: 'round0', interviewKey: 'int-none' },
    ]);

    // Assess
    // (order aside: events parked in one millisecond sort by their keys)
    expect(records.map((record) => record.parked.map((entry) => entry.dedupeKey).sort())).toEqual([
      ['round0:evt_m1', 'round0:evt_m2'],
      Array.from({ length: 30 }, (_, i) => `round0:evt_o${i}`).sort(),
      [],
    ]);
    expect(listings).toEqual(['unmatched', 'failed']);
  });
});
