/**
 * `status`, raw `replay`, `redrive archive` and `erase` against `npm start`'s runtime with the vendor API
 * fakes, the media fake (the answers' audio archived for real) and the log adapter, two ROUND0 candidates
 * processed to the end (claim checks included: a low SQS limit sends the large envelopes through S3):
 * - status by interview id and by e-mail print ids, outcomes and keys, never an e-mail or a name;
 * - a replay from the raw event store is skipped by the worker's dedupe; forced, it makes only the ATS write
 *   whose record was lost (no second note);
 * - an archive task dead-lettered by a media failure is archived once redriven;
 * - an erase leaves nothing of one candidate anywhere in the table or the bucket (every item scanned, every
 *   object read), and everything of the other.
 *
 * The raw event store is written by the ingest; where the ingest does not write it (yet), the test stores
 * each delivery itself in the store's format (`raw-events.ts`).
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ArchiveManifest, archiveManifestPk } from '../../../functions/archive/manifest.js';
import type { AtsLogLine } from '../../../functions/ats/log/adapter.js';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';
import { interviewStatePk } from '../../../functions/ledger/interview-ledger.js';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { parseVendorEvent } from '../../../functions/vendors/index.js';
import type { MediaFake } from '../../../local/fakes/media.js';
import { listObjects } from '../../../local/ops/s3-objects.js';
import { runOpsCommand } from '../../../local/ops.js';
import { queueDepth } from '../../../local/queue-depth.js';
import type { LocalPipeline } from '../../../local/runtime.js';
import { fillMediaPlaceholder, readFixture } from '../../../local/send.js';
import { type Fixture, type FixtureJson, fixtureNamed, realRound0CandidateId } from '../../e2e/helpers.js';
import { eventually } from '../local/factories.js';
import {
  bucket,
  type EraseWorld,
  expectNoPii as expectNoPiiOf,
  jane,
  other,
  startEraseWorld,
  table,
} from './erase-world.js';

let world: EraseWorld;
let tempDir: string;
let pipeline: LocalPipeline;
let media: MediaFake;
let fixtures: Fixture[];
let s3: S3Client;
let ledger: DynamoDBDocumentClient;
let dynamodb: DynamoDBClient;
let parking: ParkingLot;
let janePseudonym: string;

const deliverFixture = (vendor: VendorName, name: string) =>
  world.deliver(vendor, world.fixtureJson(vendor, name));

/** The archive batches of an interview: id → when it completed. */
const batchesOf = async (vendor: VendorName, interviewKey: string) => {
  const { Items = [] } = await ledger.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :batch)',
      ExpressionAttributeValues: { ':pk': archiveManifestPk(vendor, interviewKey), ':batch': 'BATCH#' },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({ id: String(item.sk).slice('BATCH#'.length), completedAt: item.completedAt }));
};

/** Waits until the interview's archive batch completed and the worker processed its `archive.completed`. */
const archived = async (vendor: VendorName, interviewKey: string) => {
  await eventually(async () => {
    const batches = await batchesOf(vendor, interviewKey);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.completedAt).toBeDefined();
    const events = ((await world.stateOf(vendor, interviewKey))?.events ?? {}) as Record<
      string,
      { done?: boolean }
    >;
    expect(events[`${vendor}:archive.completed:${interviewKey}:${batches[0]?.id}`]?.done).toBe(true);
  }, 45_000);
};

/** Both queues empty, twice in a row (the archive may publish an event after the events queue emptied). */
/** What the log adapter wrote, in order. */
const atsWrites = async (): Promise<AtsLogLine[]> =>
  (await readFile(join(tempDir, 'ats-writes.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AtsLogLine);

const today = () => new Date().toISOString().slice(0, 10);

/** Every item of every table, as lower-cased text (gzipped envelopes unpacked), with its key. */
const everyItem = async (): Promise<Array<{ key: string; text: string }>> => {
  const { TableNames = [] } = await dynamodb.send(new ListTablesCommand({}));
  const items: Array<{ key: string; text: string }> = [];
  for (const name of TableNames) {
    for await (const page of paginateScan({ client: ledger }, { TableName: name, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        const text = JSON.stringify(item, (_key, value: unknown) => {
          if (value instanceof Uint8Array) {
            try {
              return gunzipSync(value).toString('utf8');
            } catch {
              return Buffer.from(value).toString('latin1');
            }
          }
          return value instanceof Set ? [...value] : value;
        });
        items.push({ key: `${name}: ${String(item.pk)} / ${String(item.sk)}`, text: text.toLowerCase() });
      }
    }
  }
  return items;
};

/** Every object of the bucket with its whole content (bytes read as latin1, so any text in them is found). */
const everyObject = async (): Promise<Array<{ key: string; text: string }>> => {
  const objects: Array<{ key: string; text: string }> = [];
  for await (const ref of listObjects(s3, bucket, '')) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: ref.key }));
    const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    objects.push({ key: ref.key, text: `${ref.key}\n${bytes.toString('latin1')}`.toLowerCase() });
  }
  return objects;
};

const janeNeedles = () =>
  [jane.email, jane.name, janePseudonym, jane.interviewId, jane.candidateId].map((n) => n.toLowerCase());

/** Fails with the key of every record that still holds one of `needles`. */
const holding = (records: ReadonlyArray<{ key: string; text: string }>, needles: readonly string[]) =>
  records
    .filter((record) => needles.some((needle) => record.text.includes(needle)))
    .map((record) => record.key);

/** Her answer's words, which no output may quote either. */
const expectNoPii = (text: string) => expectNoPiiOf(text, ['React hooks extensively']);

beforeAll(async () => {
  // Every envelope travels as a claim check (an S3 object holding the whole envelope, e-mail included).
  world = await startEraseWorld('ops-privacy-', { SQS_MAX_MESSAGE_BYTES: '1024' });
  ({ tempDir, pipeline, fixtures, s3, ledger, dynamodb } = world);
  media = pipeline.media as MediaFake;
  parking = new ParkingLot({ client: dynamodb, tableName: table });
  janePseudonym = emailPseudonym(jane.email, pipeline.secrets.integration.pseudonymKey) ?? '';
  expect(janePseudonym).toMatch(/^email-hmac:/);

  // Two candidates, processed to the end: notes, statuses, archives.
  await deliverFixture('round0', 'interview_started');
  await deliverFixture('round0', 'interview_ended');
  await world.deliver('round0', world.othersEnded());
  await archived('round0', jane.interviewId);
  await archived('round0', other.interviewId);
  await world.quiet();

  // A parked copy of an event of each (as the worker parks a failed one), and records of kinds this version
  // does not know that name each of them.
  const envelope = (json: FixtureJson) => {
    const parsed = parseVendorEvent('round0', json, new Date());
    if (!parsed.ok) throw new Error('fixture does not parse');
    return parsed.event;
  };
  const started = fixtureNamed(fixtures, 'round0', 'interview_started').json;
  await parking.park('failed', envelope(started), 'test: parked copy');
  await parking.park('unmatched', envelope(world.othersEnded()), 'test: parked copy');
  for (const [who, email] of [
    ['jane', jane.email],
    ['other', other.email],
  ] as const) {
    await ledger.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'OPS-TEST#contact', sk: who, note: `contact ${email}` },
      }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `exports/${who}.json`, Body: JSON.stringify({ email }) }),
    );
  }
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

describe('npm run ops -- status, replay, redrive archive, erase (privacy)', () => {
  it('status by interview id prints the state, every event and ATS write, the archive and the parked events, without PII', async () => {
    // Act
    const { lines, exitCode } = await runOpsCommand(['status', jane.interviewId], tempDir);

    // Assess
    const text = lines.join('\n');
    expect(exitCode).toBe(0);
    expect(lines[0]).toBe(`round0 interview ${jane.interviewId}`);
    expect(text).toMatch(/\n {2}status: completed \(rank 3, as of /);
    expect(text).toContain(`  ATS match: candidate ${janePseudonym}`);
    expect(text).toContain(`archiveLocation=s3://${bucket}/interviews/${jane.interviewId}/`);
    // The console link keeps its query (no credential in it): it opens the interview's prefix.
    expect(text).toContain(`prefix=interviews%2F${jane.interviewId}%2F`);
    expect(text).toContain(`    ${jane.startedKey}  done`);
    expect(text).toContain(`    ${jane.endedKey}  done, advanced the status`);
    expect(text).toMatch(/\n {4}note {2}done, attempts 1\n/);
    expect(text).toMatch(
      /\n {4}status:completed {2}done, attempts 1, by round0:evt_660f9511f30c52e5b827557766551111\n/,
    );
    expect(text).toMatch(/\n {2}archive: 2 object\(s\), [\d.]+ KB\n/);
    expect(text).toContain(
      `    interviews/${jane.interviewId}/question_880h1733-h52e-74g7-d049-779988773333.mp3  `,
    );
    expect(text).toMatch(
      /\n {2}archive batches \(1\):\n {4}archive:[0-9a-f]{16} {2}complete at \S+ {2}\(archived: question_/,
    );
    expect(text).toContain(`  parked (1):\n    failed  `);
    expect(text).toContain(`interview_started  ${jane.startedKey}  — test: parked copy`);
    expectNoPii(text);
  });

  it('status by e-mail finds the candidate’s interviews (any case) and prints them without the e-mail', async () => {
    // Act
    const { lines, exitCode } = await runOpsCommand(['status', 'Jane@Example.COM'], tempDir);

    // Assess
    const text = lines.join('\n');
    expect(exitCode).toBe(0);
    expect(lines[0]).toMatch(
      /^1 interview\(s\) of the candidate with this e-mail \(found in \d+ stored or parked event/,
    );
    expect(text).toContain(`\nround0 interview ${jane.interviewId}\n`);
    expect(text).not.toContain(other.interviewId);
    expect(text).not.toContain('Jane@Example.COM');
    expectNoPii(text);
    expect((await runOpsCommand(['status', 'nobody@example.com'], tempDir)).exitCode).toBe(1);
  });

  it('replays the raw event store: the worker skips everything it processed, nothing new reaches the ATS', async () => {
    // Prepare
    const before = await atsWrites();

    // Act
    const { lines } = await runOpsCommand(['replay', '--vendor', 'round0', '--since', today()], tempDir);
    await world.quiet();

    // Assess
    expect(lines[0]).toBe(
      `sent 3 round0 event(s) to the events queue (3 stored on 1 day(s): ${today()} .. ${today()})`,
    );
    expect(lines.at(-2)).toMatch(/^same dedupe keys: the worker skips what it processed before/);
    expect(lines.at(-1)).toBe(`on: the local npm start (${tempDir})`);
    expect(await atsWrites()).toEqual(before);
  });

  it('replays with --force: only the ATS write whose record is gone is made again, no second note', async () => {
    // Prepare: the record of Jane's status write is lost
    await ledger.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: interviewStatePk('round0', jane.interviewId), sk: 'STATE' },
        UpdateExpression: 'REMOVE #effects.#status',
        ExpressionAttributeNames: { '#effects': 'effects', '#status': 'status:completed' },
      }),
    );
    const mark = (await atsWrites()).length;

    // Act
    const { lines } = await runOpsCommand(
      ['replay', '--vendor', 'round0', '--since', today(), '--type', 'interview_ended', '--force'],
      tempDir,
    );
    await eventually(async () => {
      const effects = ((await world.stateOf('round0', jane.interviewId))?.effects ?? {}) as Record<
        string,
        { state: string }
      >;
      expect(effects['status:completed']?.state).toBe('done');
      for (const id of [jane.interviewId, other.interviewId]) {
        const events = ((await world.stateOf('round0', id))?.events ?? {}) as Record<
          string,
          { done?: boolean }
        >;
        const forced = Object.entries(events).filter(([key]) => key.includes('#replay-'));
        expect(forced.map(([, record]) => record.done)).toEqual([true]);
      }
    }, 30_000);
    await world.quiet();

    // Assess: two events sent with new keys; one ATS write, the lost status, for Jane alone
    expect(lines[0]).toMatch(/^sent 2 round0 event\(s\) to the events queue/);
    expect(lines).toContain('skipped 1 of another type than interview_ended');
    expect(lines.at(-2)).toMatch(/^forced: new dedupe keys \(<key>#replay-\d{8}T\d{9}Z\)/);
    const written = (await atsWrites()).slice(mark);
    expect(written.map((line) => [line.action, line.interviewId])).toEqual([['status', jane.interviewId]]);
  });

  it('redrives an archive task dead-lettered by a media failure: it is archived, its parked copy forgotten', async () => {
    // Prepare: a micro1 webcam recording whose second segment answers 404 twice (a permanent failure: the
    // archive reads the playlist again once for a refused segment, and asks for it again)
    media.faults.add({
      method: 'GET',
      path: /^\/micro1\/OpsRedrive\/webcam\/seg_1\.ts$/,
      status: 404,
      when: 'before',
      times: 2,
    });
    const webcam = JSON.parse(
      fillMediaPlaceholder(
        (await readFixture('micro1', 'interview_webcam_recording.completed.local')).toString('utf8'),
        media.url,
      ),
    );
    webcam.data.report_id = 'OpsRedrive';
    webcam.data.interview_webcam_recording_url = `${media.url}/micro1/OpsRedrive/webcam/index.m3u8`;
    await world.deliver('micro1', webcam);
    await eventually(async () => {
      expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archiveDeadLetter)).toBe(1);
      expect((await runOpsCommand(['parked', 'failed'], tempDir)).lines.join('\n')).toContain(
        'micro1:archive.task:report:OpsRedrive:',
      );
    }, 30_000);
    const manifest = new ArchiveManifest({ client: dynamodb, tableName: table });

    // Act
    const { lines } = await runOpsCommand(['redrive', 'archive'], tempDir);

    // Assess
    expect(lines[0]).toBe('moved 1 of 1 message(s) from the archive DLQ to the archive queue');
    expect(lines).toContain("forgot 1 parked 'failed' copy(ies) of the moved messages");
    await eventually(async () => {
      const keys = (await manifest.list('micro1', 'report:OpsRedrive')).map((entry) => entry.key);
      expect(keys).toContain('interviews/OpsRedrive/webcam/v0/seg_1.ts');
    }, 30_000);
    await world.quiet();
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archiveDeadLetter)).toBe(0);
    expect((await runOpsCommand(['parked', 'failed'], tempDir)).lines.join('\n')).not.toContain('OpsRedrive');
  });

  it('keeps the candidate’s pseudonym, never the e-mail, on the interview item and the archive batch', async () => {
    // Act
    const state = await world.stateOf('round0', jane.interviewId);
    const batch = (
      await ledger.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :batch)',
          ExpressionAttributeValues: {
            ':pk': archiveManifestPk('round0', jane.interviewId),
            ':batch': 'BATCH#',
          },
          ConsistentRead: true,
        }),
      )
    ).Items?.[0];

    // Assess
    expect(state?.fields?.candidatePseudonym).toBe(janePseudonym);
    expect(batch?.candidate).toBe(janePseudonym);
    expect(JSON.stringify(state).toLowerCase()).not.toContain(jane.email);
    expect(JSON.stringify(batch).toLowerCase()).not.toContain(jane.email);
  });

  it('refuses to erase without --yes when it cannot ask, after printing the plan without PII', async () => {
    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', jane.email], tempDir);

    // Assess
    const text = lines.join('\n');
    expect(exitCode).toBe(2);
    expect(lines.at(-1)).toBe('not erased: re-run with --yes (no terminal to ask on)');
    expect(text).toContain(`interviews (1):\n  round0 ${jane.interviewId}`);
    expect(text).toContain(`ledger: interview items (1):\n  INTERVIEW#round0#${jane.interviewId} / STATE`);
    expect(text).toContain(`bucket: archived media under (1):\n  interviews/${jane.interviewId}/…`);
    expect(text).toContain('ledger: other items (1):\n  OPS-TEST#contact / jane');
    expectNoPii(text);
    expect(await world.stateOf('round0', jane.interviewId)).toBeDefined();
  });

  it('erases everything of one candidate from the table and the bucket, and nothing of the other', async () => {
    // Prepare: what holds the other candidate (and the micro1 recording of nobody in particular) now
    const otherNeedles = [other.email, other.interviewId, 'OpsRedrive'].map((n) => n.toLowerCase());
    const otherItems = holding(await everyItem(), otherNeedles);
    const otherObjects = holding(await everyObject(), otherNeedles);
    expect(holding(await everyItem(), janeNeedles()).length).toBeGreaterThan(0);
    expect(otherItems.length).toBeGreaterThan(5);
    expect(otherObjects.filter((key) => key.includes(`interviews/${other.interviewId}/`))).toHaveLength(2);
    const progress: string[] = [];
    // An export named after her, and an object under raw/ that is not a delivery (not parsed as one) that
    // mentions her: both found by their content or key, deleted, and never printed by their key
    const namedAfterHer = `exports/${jane.email}.json`;
    const strayRaw = `raw/round0/${new Date().toISOString().slice(0, 10)}/stray-notes.txt`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: namedAfterHer, Body: '{}' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: strayRaw, Body: `call ${jane.email} back` }));
    // Named after her ids, whatever stands beside them: a recording backed up by hand, a versioned export
    const namedAfterHerIds = [`backup/${jane.interviewId}.mp3`, `exports/x-${jane.interviewId}_v2.json`];
    for (const key of namedAfterHerIds)
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '' }));
    // Perhaps someone else's: an address that contains hers, and her name alone. Listed, never deleted.
    const lookalike = 'exports/lookalike.json';
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: lookalike,
        Body: JSON.stringify({ email: `mary.${jane.email}` }),
      }),
    );
    await ledger.send(
      new PutCommand({
        TableName: table,
        Item: { pk: 'OPS-TEST#contact', sk: 'namesake', note: `met ${jane.name}` },
      }),
    );

    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', jane.email, '--yes'], tempDir, {
      progress: { isTTY: false, write: (text: string) => progress.push(text) },
    });

    // Assess: nothing holds her e-mail, name, pseudonym, interview id or candidate id but the two lookalikes,
    // kept and listed for a look by hand (exit code 1)
    expect(exitCode).toBe(1);
    expect(holding(await everyItem(), janeNeedles())).toEqual([
      expect.stringMatching(/: OPS-TEST#contact \/ namesake$/),
    ]);
    expect(holding(await everyObject(), janeNeedles())).toEqual([lookalike]);
    // Assess: everything of the other candidate is still there
    expect(holding(await everyItem(), otherNeedles)).toEqual(otherItems);
    expect(holding(await everyObject(), otherNeedles)).toEqual(otherObjects);
    // Assess: the output names what went (ids and keys), never the person, and what it cannot reach
    const text = lines.join('\n');
    expect(lines[0]).toBe('erased 1 interview(s) of the candidate:');
    // Archive manifest: 2 objects, their batch, and each asset's lease (kept after release, erased with it)
    expect(text).toMatch(
      /ledger: \d+ item\(s\) deleted \(1 interview, 5 archive manifest, 1 parked, 1 other\)/,
    );
    expect(text).toContain(`bucket: 2 archived media object(s) under interviews/${jane.interviewId}/`);
    expect(text).toMatch(/bucket: 2 raw event object\(s\), 2 claim-check object\(s\), 5 other object\(s\)/);
    expect(text).toContain(strayRaw);
    expect(text).toMatch(/\(a key naming the candidate, sha256 [0-9a-f]{12}\)/);
    expect(text).not.toContain(namedAfterHer);
    expect(text).toContain('queues: empty now.');
    expect(text).toContain('not touched: the ATS itself');
    expect(text).toMatch(/not erased: records that mention the candidate's name.*\(2\):/);
    expect(text).toContain(`  ${lookalike}`);
    expect(text).toContain('  OPS-TEST#contact / namesake');
    expectNoPii(text);
    expect(progress.join('')).toMatch(/^erase: \d+\/\d+, [\d.]+\/s, done in \d+ s\n$/m);
    expect((await runOpsCommand(['status', jane.interviewId], tempDir)).exitCode).toBe(1);
    // (the operator looked: both were someone else's, kept where they are for the rest of this file)
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lookalike }));
    await ledger.send(
      new DeleteCommand({ TableName: table, Key: { pk: 'OPS-TEST#contact', sk: 'namesake' } }),
    );
    // A second erase finds nothing, and says where it looked (the local npm start, not a deployed stage)
    expect((await runOpsCommand(['erase', '--email', jane.email, '--yes'], tempDir)).lines).toEqual([
      'nothing held on this candidate: nothing to erase',
      `on: the local npm start (${tempDir})`,
    ]);
  });

  it('erases a candidate found by their vendor candidate id, following it to their e-mail and pseudonym', async () => {
    // Prepare
    const otherPseudonym = emailPseudonym(other.email, pipeline.secrets.integration.pseudonymKey) ?? '';
    const needles = [other.email, other.name, otherPseudonym, other.interviewId].map((n) => n.toLowerCase());
    const kept = [
      ...holding(await everyItem(), ['opsredrive']),
      ...holding(await everyObject(), ['opsredrive']),
    ];
    expect(holding(await everyItem(), needles).length).toBeGreaterThan(0);

    // Act
    const { lines, exitCode } = await runOpsCommand(
      ['erase', '--candidate-id', realRound0CandidateId, '--yes'],
      tempDir,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(lines.slice(0, 2)).toEqual([
      'erased 1 interview(s) of the candidate:',
      `  round0 ${other.interviewId}`,
    ]);
    expect(holding(await everyItem(), needles)).toEqual([]);
    expect(holding(await everyObject(), needles)).toEqual([]);
    expect([
      ...holding(await everyItem(), ['opsredrive']),
      ...holding(await everyObject(), ['opsredrive']),
    ]).toEqual(kept);
    expectNoPii(lines.join('\n'));
  });

  it('erases an archive by e-mail after every other record of the candidate expired, by the pseudonym its manifest keeps', async () => {
    // Prepare: her interview processed again (both candidates were erased above), archived; then her raw
    // events and claim checks expire (30 days) and her interview item too (180 days): only the archive and
    // its manifest (no TTL) are left
    await deliverFixture('round0', 'interview_started');
    await deliverFixture('round0', 'interview_ended');
    await archived('round0', jane.interviewId);
    await world.quiet();
    for (const prefix of ['raw/', 'claim-checks/']) {
      for await (const ref of listObjects(s3, bucket, prefix)) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: ref.key }));
      }
    }
    await ledger.send(
      new DeleteCommand({
        TableName: table,
        Key: { pk: interviewStatePk('round0', jane.interviewId), sk: 'STATE' },
      }),
    );
    const left = [
      ...holding(await everyItem(), janeNeedles()),
      ...holding(await everyObject(), janeNeedles()),
    ];
    expect(left.filter((key) => key.startsWith(`interviews/${jane.interviewId}/`))).toHaveLength(2);
    expect(left.filter((key) => key.includes('/ BATCH#'))).toHaveLength(1);
    expect(left.filter((key) => key.includes('INTERVIEW#') || key.startsWith('raw/'))).toEqual([]);

    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', jane.email, '--yes'], tempDir);

    // Assess
    expect(exitCode).toBe(0);
    expect(lines.slice(0, 2)).toEqual([
      'erased 1 interview(s) of the candidate:',
      `  round0 ${jane.interviewId}`,
    ]);
    expect(holding(await everyItem(), janeNeedles())).toEqual([]);
    expect(holding(await everyObject(), janeNeedles())).toEqual([]);
    expectNoPii(lines.join('\n'));
  }, 120_000);
});
