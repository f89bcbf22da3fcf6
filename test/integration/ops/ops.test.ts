/**
 * `npm run ops` against the local emulators: list parked events without printing candidate data, and
 * replay them onto the events queue (once per event, skipping those parked without their payload).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import { ParkingLot } from '../../../functions/ledger/parking-lot.js';
import type { QueueMessage } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { OpsUsageError, runOps, runOpsCommand } from '../../../local/ops.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import { envelope, round0 } from '../sync/world.js';

let emulators: LocalEmulators;
let dataDir: string;
let parking: ParkingLot;

beforeAll(async () => {
  emulators = await startEmulators();
  dataDir = await mkdtemp(join(tmpdir(), 'ops-'));
  await writeRuntimeInfo(dataDir, runtimeInfoFor(emulators));
  parking = new ParkingLot({
    client: new DynamoDBClient({
      region: localAws.region,
      credentials: localAws.credentials,
      endpoint: emulators.endpoints.dynamodb,
    }),
    tableName: resources.ledgerTable.name,
  });
});

afterAll(async () => {
  await emulators?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const drainEvents = async (): Promise<QueueMessage[]> => {
  const { Messages = [] } = await emulators.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: emulators.queueUrls.events,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    }),
  );
  for (const m of Messages) {
    await emulators.sqs.send(
      new DeleteMessageCommand({ QueueUrl: emulators.queueUrls.events, ReceiptHandle: m.ReceiptHandle }),
    );
  }
  return Messages.map((m) => JSON.parse(m.Body ?? '{}') as QueueMessage);
};

describe('npm run ops', () => {
  it('lists parked events by id, type and reason, never candidate data', async () => {
    // Prepare
    const event = round0('interview_ended', {
      eventId: 'evt_list',
      interviewId: 'int-list',
      email: 'lister@example.com',
    });
    await parking.park('failed', event, 'lever: forbidden');

    // Act
    const lines = await runOps(['parked', 'failed'], dataDir);

    // Assess
    expect(lines).toEqual([
      expect.stringMatching(/round0 {2}interview_ended {2}round0:evt_list {2}— lever: forbidden$/),
      `on: the local npm start (${dataDir})`,
    ]);
    expect(lines.join('\n')).not.toContain('lister@example.com');
  });

  it('replays each parked event once onto the events queue and forgets it', async () => {
    // Prepare: one event parked on two deliveries, another parked once
    const first = round0('interview_ended', {
      eventId: 'evt_replay_1',
      interviewId: 'int-r1',
      email: 'a@example.com',
    });
    const second = envelope('micro1', 'interview_report.created');
    await parking.park('unmatched', first, 'no candidate with this e-mail');
    await parking.park('unmatched', first, 'no candidate with this e-mail');
    await parking.park('unmatched', second, 'no application with this ATS id');

    // Act
    const startedAt = new Date().toISOString();
    const lines = await runOps(['replay', 'unmatched', '--key', first.dedupeKey], dataDir);
    const queued = await drainEvents();
    const rest = await runOps(['replay', 'unmatched', '--all'], dataDir);
    const queuedRest = await drainEvents();
    const endedAt = new Date().toISOString();

    // Assess: each envelope as parked, stamped with the replay's time (the worker's lag runs from it)
    const replayedAt = expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(lines).toEqual([
      `replayed 1 unmatched event(s): ${first.dedupeKey}`,
      `on: the local npm start (${dataDir})`,
    ]);
    expect(queued).toEqual([{ kind: 'event', event: { ...first, replayedAt } }]);
    expect(rest).toEqual([
      `replayed 1 unmatched event(s): ${second.dedupeKey}`,
      `on: the local npm start (${dataDir})`,
    ]);
    expect(queuedRest).toEqual([{ kind: 'event', event: { ...second, replayedAt } }]);
    for (const message of [...queued, ...queuedRest] as Array<{ event: { replayedAt: string } }>) {
      expect([startedAt, message.event.replayedAt, endedAt].sort()[1]).toBe(message.event.replayedAt);
    }
    expect(await parking.list('unmatched')).toEqual([]);
  });

  it('says which keys asked for are not parked, and exits 1 (a script must not take the replay for done)', async () => {
    // Prepare: one event parked; a second key mistyped
    const parkedOne = round0('interview_ended', {
      eventId: 'evt_replay_9',
      interviewId: 'int-r9',
      email: 'b@example.com',
    });
    await parking.park('unmatched', parkedOne, 'no candidate with this e-mail');

    // Act
    const { lines, exitCode } = await runOpsCommand(
      ['replay', 'unmatched', '--key', parkedOne.dedupeKey, '--key', 'round0:evt_typo'],
      dataDir,
    );
    await drainEvents();

    // Assess
    expect(lines).toEqual([
      `replayed 1 unmatched event(s): ${parkedOne.dedupeKey}`,
      'not parked as unmatched: round0:evt_typo (`npm run ops -- parked unmatched` lists them)',
      `on: the local npm start (${dataDir})`,
    ]);
    expect(exitCode).toBe(1);
    expect((await runOpsCommand(['replay', 'unmatched', '--all'], dataDir)).exitCode).toBe(0);
  });

  it('status of an interview id found nowhere exits 1, naming the local stage it looked on last', async () => {
    // Act
    const { lines, exitCode } = await runOpsCommand(['status', 'int-never-seen'], dataDir);

    // Assess
    expect(exitCode).toBe(1);
    expect(lines[0]).toMatch(/^no interview int-never-seen in the ledger, the archive or the parked events/);
    expect(lines.at(-1)).toBe(`on: the local npm start (${dataDir})`);
  });

  it('media of an interview id the archive manifest knows nothing of exits 1, naming the local stage it looked on', async () => {
    // Act
    const { lines, exitCode } = await runOpsCommand(['media', 'int-never-archived'], dataDir);

    // Assess: said, as status says it, and not taken for done by a script
    expect(exitCode).toBe(1);
    expect(lines).toEqual([
      'nothing archived for interview int-never-archived',
      `on: the local npm start (${dataDir})`,
    ]);
  });

  it('media of an archived interview lists it and exits 0, and the other vendor alone knows nothing of it', async () => {
    // Prepare: one object of a micro1 report in the manifest
    const manifest = new ArchiveManifest({
      client: new DynamoDBClient({
        region: localAws.region,
        credentials: localAws.credentials,
        endpoint: emulators.endpoints.dynamodb,
      }),
      tableName: resources.ledgerTable.name,
    });
    await manifest.record('micro1', 'report:rep-media', {
      key: 'interviews/rep-media/report.pdf',
      size: 2048,
      sha256: 'a'.repeat(64),
      contentType: 'application/pdf',
      sourceUrl: 'https://media.example/report.pdf',
    });

    // Act
    const found = await runOpsCommand(['media', 'rep-media'], dataDir);
    const otherVendor = await runOpsCommand(['media', 'rep-media', '--vendor', 'round0'], dataDir);

    // Assess
    expect(found.exitCode).toBe(0);
    expect(found.lines[0]).toBe('micro1 interview rep-media: 1 object(s), 2.0 KB');
    expect(found.lines[1]).toMatch(/^interviews\/rep-media\/report\.pdf {2}2\.0 KB {2}application\/pdf /);
    expect(otherVendor.exitCode).toBe(1);
    expect(otherVendor.lines[0]).toBe('nothing archived for interview rep-media');
  });

  it.each([['--help'], ['-h'], ['replay', '--help']])(
    'prints the usage for %s and exits 0',
    async (...argv) => {
      // Act
      const result = await runOpsCommand(argv, dataDir);

      // Assess
      expect(result.exitCode).toBe(0);
      expect(result.lines[0]).toBe('usage:');
      expect(result.lines.join('\n')).toContain('npm run ops -- replay');
    },
  );

  it('refuses a replay without --all or --key, and unknown commands', async () => {
    await expect(runOps(['replay', 'failed'], dataDir)).rejects.toBeInstanceOf(OpsUsageError);
    await expect(runOps(['drop', 'failed'], dataDir)).rejects.toBeInstanceOf(OpsUsageError);
    await expect(runOps(['parked', 'everything'], dataDir)).rejects.toBeInstanceOf(OpsUsageError);
  });

  it.each(['0', '1.5', 'soon', String(7 * 24 * 3600 + 1)])(
    'refuses media --expires %s (whole seconds, at most the 7 days a presigned URL can last)',
    async (expires) => {
      await expect(runOps(['media', 'R1', '--expires', expires], dataDir)).rejects.toThrow(
        /--expires is a number of seconds, at most 604800/,
      );
    },
  );

  it("refuses a replay given the other mode's flags, which it would ignore, before replaying anything", async () => {
    // Prepare: a failed event parked
    const parked = round0('interview_ended', {
      eventId: 'evt_flags',
      interviewId: 'int-flags',
      email: 'f@example.com',
    });
    await parking.park('failed', parked, 'lever: forbidden');

    // Act
    const parkedWithType = runOps(['replay', 'failed', '--all', '--type', 'interview_ended'], dataDir);
    const parkedWithForce = runOps(['replay', 'failed', '--key', parked.dedupeKey, '--force'], dataDir);
    const rawWithKey = runOps(
      ['replay', '--vendor', 'round0', '--since', '2026-01-01', '--key', 'round0:evt_1'],
      dataDir,
    );

    // Assess: refused, naming the flag; the parked event is still parked
    await expect(parkedWithType).rejects.toThrow(
      new OpsUsageError('--type is not for a replay of parked events (unmatched|failed)'),
    );
    await expect(parkedWithForce).rejects.toThrow(/--force is not for a replay of parked events/);
    await expect(rawWithKey).rejects.toThrow(/--key is not for a replay of the raw event store/);
    expect((await parking.list('failed')).map((entry) => entry.dedupeKey)).toContain(parked.dedupeKey);
  });
});
