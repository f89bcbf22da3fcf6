/**
 * The parking lot's size bounds, which count UTF-8 bytes (DynamoDB's unit), not UTF-16
 * units: a non-ASCII dedupe key or envelope within the limits in characters but past them in bytes.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ParkingLot, parkedSk } from '../../../functions/ledger/parking-lot.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { envelope, ledgerTable } from './world.js';

describe('ParkingLot size bounds (dynalite)', () => {
  let dynamo: LocalDynamo;
  let parking: ParkingLot;
  const clock = Date.UTC(2024, 0, 16, 15, 0);

  beforeEach(async () => {
    dynamo = await startDynalite();
    parking = new ParkingLot({ client: dynamo.client, tableName: ledgerTable, now: () => clock });
  });

  afterEach(async () => {
    await dynamo.close();
  });

  it('parks an event whose dedupe key is under 1024 characters but over 1024 bytes', async () => {
    // Prepare: a micro1 session key of two ids the schema accepts, the second in CJK (3 bytes each)
    const session = envelope('micro1', 'interview.started');
    const long = { ...session, dedupeKey: `micro1:interview.started:${'a'.repeat(255)}:${'語'.repeat(255)}` };
    expect(long.dedupeKey.length).toBeLessThan(1000);
    expect(Buffer.byteLength(long.dedupeKey)).toBeGreaterThan(1024);
    expect(Buffer.byteLength(parkedSk(new Date(clock).toISOString(), long.dedupeKey))).toBeLessThanOrEqual(
      1024,
    );

    // Act
    await parking.park('unmatched', long, 'no candidate with this e-mail');

    // Assess
    const [key] = await parking.listKeys('unmatched');
    expect(key?.dedupeKey).toBe(long.dedupeKey);
  });

  it('parks a non-ASCII envelope under 350 K characters but over 400 KB of UTF-8', async () => {
    // Prepare: 150 K CJK characters that do not compress to a repeat (random picks)
    const text = Array.from(randomBytes(150_000), (byte) => String.fromCharCode(0x4e00 + byte * 16)).join('');
    const report = envelope('micro1', 'interview_report.created', {
      set: { 'data.interview_transcript.0.content': text },
    });
    expect(JSON.stringify(report).length).toBeLessThan(350 * 1024);
    expect(Buffer.byteLength(JSON.stringify(report))).toBeGreaterThan(400 * 1024);

    // Act
    await parking.park('failed', report, 'lever: invalid_request');

    // Assess: parked (compressed or without its payload) within DynamoDB's 400 KB item, whatever the
    // emulator lets through (dynalite does not enforce the item size)
    const [key] = await parking.listKeys('failed');
    const { Item } = await dynamo.client.send(
      new GetCommand({
        TableName: ledgerTable,
        Key: { pk: 'PARKED#failed', sk: parkedSk(key?.parkedAt ?? '', key?.dedupeKey ?? '') },
      }),
    );
    const stored =
      typeof Item?.event === 'string'
        ? Buffer.byteLength(Item.event)
        : ((Item?.eventGzip as Uint8Array | undefined)?.length ?? 0);
    expect(stored).toBeLessThanOrEqual(350 * 1024);
  });

  it('gives a parked entry its expiry (the retention promise)', async () => {
    // Act
    await parking.park('failed', envelope('round0', 'interview_ended'), 'lever: forbidden');

    // Assess
    const [key] = await parking.listKeys('failed');
    const { Item } = await dynamo.client.send(
      new GetCommand({
        TableName: ledgerTable,
        Key: { pk: 'PARKED#failed', sk: parkedSk(key?.parkedAt ?? '', key?.dedupeKey ?? '') },
      }),
    );
    expect(Item?.expiresAt).toBe(Math.floor(clock / 1000) + 30 * 24 * 3600);
  });
});
