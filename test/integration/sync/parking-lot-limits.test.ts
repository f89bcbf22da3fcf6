/**
 * The parking lot's size bounds, which count UTF-8 bytes (DynamoDB's unit), not UTF-16
 * units: a non-ASCII dedupe key or envelope within the limits in characters but past them in bytes.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ParkingLot, parkedSk } from '../../../functions/ledger/parking-lot.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { envelope, ledgerTable } from './world.js';

/** A micro1 report whose envelope is exactly `bytes` of JSON, padded with random text that barely compresses. */
const reportOfJsonBytes = (bytes: number): InterviewEvent => {
  const withText = (text: string) =>
    envelope('micro1', 'interview_report.created', { set: { 'data.interview_transcript.0.content': text } });
  const overhead = Buffer.byteLength(JSON.stringify(withText('')));
  const report = withText(
    randomBytes(bytes)
      .toString('base64')
      .slice(0, bytes - overhead),
  );
  expect(Buffer.byteLength(JSON.stringify(report))).toBe(bytes);
  return report;
};

/** An item’s size as DynamoDB counts it: each attribute’s name and value (numbers taken at their digits). */
const itemBytes = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce((total, [name, value]) => {
    const size =
      value instanceof Uint8Array
        ? value.byteLength
        : typeof value === 'string'
          ? Buffer.byteLength(value)
          : String(value).length;
    return total + Buffer.byteLength(name) + size;
  }, 0);

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

  it('keeps the whole item within DynamoDB’s 400 KB when the envelope alone just fits it, by default', async () => {
    // Prepare: an envelope of 400 KiB of JSON less 50 bytes (random text: gzip halves it at best), so
    // stored as it is the item’s other attributes would carry it past the limit
    const report = reportOfJsonBytes(400 * 1024 - 50);

    // Act
    await parking.park('failed', report, 'lever: invalid_request');

    // Assess: the item, counted as DynamoDB counts (names and values), is within 400 KB, and the envelope
    // comes back whole
    const [entry] = await parking.list('failed');
    const { Item } = await dynamo.client.send(
      new GetCommand({
        TableName: ledgerTable,
        Key: { pk: 'PARKED#failed', sk: parkedSk(entry?.parkedAt ?? '', entry?.dedupeKey ?? '') },
      }),
    );
    expect(itemBytes(Item ?? {})).toBeLessThanOrEqual(400 * 1024);
    expect(entry?.event).toEqual(report);
  });

  it('lists every parked event when they fill more than one 1 MB query page', async () => {
    // Prepare: 5 envelopes of ~300 KB each, stored as JSON (under the 350 KiB bound): 1.5 MB in all
    const report = reportOfJsonBytes(300 * 1024);
    for (let i = 0; i < 5; i += 1) {
      await parking.park('failed', { ...report, dedupeKey: `${report.dedupeKey}-${i}` }, 'ats: down');
    }

    // Act
    const parked = await parking.list('failed');
    const keys = await parking.listKeys('failed');

    // Assess
    const expected = [0, 1, 2, 3, 4].map((i) => `${report.dedupeKey}-${i}`);
    expect(parked.map((entry) => entry.dedupeKey)).toEqual(expected);
    expect(keys.map((key) => key.dedupeKey)).toEqual(expected);
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
