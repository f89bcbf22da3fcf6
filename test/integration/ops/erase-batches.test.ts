/**
 * `npm run ops -- erase` and the raw event store's batch objects (functions/queue/raw-events.ts: a worker
 * invocation's deliveries in one object), on the emulators: a batch that also holds another person's
 * delivery is written again without the candidate's, one that holds only theirs is deleted.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RawEvent } from '../../../functions/queue/raw-events.js';
import { resources } from '../../../lib/resources.js';
import { readRawEvents } from '../../../local/ops/raw-store.js';
import { listObjects } from '../../../local/ops/s3-objects.js';
import { runOpsCommand } from '../../../local/ops.js';
import { type EmulatorStage, startEmulatorStage } from './emulator-stage.js';
import { rawEventFor, storeAsOneInvocation } from './raw-events.js';

const bucket = resources.bucket.name;

let dataDir: string;
let s3: S3Client;

/** A micro1 report of `who`, as micro1 sends it (it names their e-mail and their report id). */
const reportOf = (who: string) =>
  Buffer.from(
    JSON.stringify({
      event: 'interview_report.created',
      data: {
        report_id: `${who}R3port`,
        interview_id: `${who}-interview-0001`,
        session_id: `${who}-session-0001`,
        candidate_id: `${who}-candidate-0001`,
        job_applicant_id: `${who}-applicant-0001`,
        candidate_name: `${who} Batched`,
        candidate_email_id: `${who}.batched@example.com`,
        report_date: '2024-01-01',
        proctoring_score: 85,
        ai_match_score: 85,
        status: 'active',
      },
    }),
  );

/** A recording delivery of `who`'s report that this version's parser refuses (its URL is a number). */
const refusedRecordingOf = (who: string, receivedAt: Date): RawEvent => ({
  schemaVersion: 1,
  vendor: 'micro1',
  type: 'interview_recording.completed',
  dedupeKey: `micro1:interview_recording.completed:${who}R3port`,
  receivedAt: receivedAt.toISOString(),
  headers: { 'content-type': 'application/json' },
  bodyBase64: Buffer.from(
    JSON.stringify({
      event: 'interview_recording.completed',
      data: { report_id: `${who}R3port`, interview_recording_url: 42 },
    }),
  ).toString('base64'),
});

const keysUnder = async (prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const ref of listObjects(s3, bucket, prefix)) keys.push(ref.key);
  return keys.sort();
};

let stage: EmulatorStage | undefined;

beforeAll(async () => {
  stage = await startEmulatorStage('ops-erase-batches-');
  ({ dataDir, s3 } = stage);
});

afterAll(async () => {
  await stage?.close();
});

describe('npm run ops -- erase (batch objects of the raw event store)', () => {
  it("writes a shared batch again without the candidate's deliveries and deletes a batch of theirs alone", async () => {
    // Prepare: one invocation of Maya's report, Otto's report and Maya's refused recording (hers only by her
    // report id); a later one of Maya's report again and her refused recording again (a retry)
    const at = Date.now();
    const [shared] = await storeAsOneInvocation(s3, bucket, [
      rawEventFor('micro1', reportOf('maya'), new Date(at)),
      rawEventFor('micro1', reportOf('otto'), new Date(at + 1)),
      refusedRecordingOf('maya', new Date(at + 2)),
    ]);
    const [hersAlone] = await storeAsOneInvocation(s3, bucket, [
      rawEventFor('micro1', reportOf('maya'), new Date(at + 3)),
      refusedRecordingOf('maya', new Date(at + 4)),
    ]);
    expect(await keysUnder('raw/')).toEqual([shared, hersAlone].sort());

    // Act
    const planned = await runOpsCommand(['erase', '--email', 'maya.batched@example.com'], dataDir);
    const erased = await runOpsCommand(['erase', '--email', 'maya.batched@example.com', '--yes'], dataDir);

    // Assess: the shared batch keeps Otto's report alone; hers is gone
    const plan = planned.lines.join('\n');
    expect(planned.exitCode).toBe(2);
    expect(plan).toContain(`bucket: raw events (1):\n  ${hersAlone}\n`);
    expect(plan).toContain(
      `bucket: raw event batches written again without the candidate's deliveries (1):\n  ${shared} (2 of theirs)`,
    );
    expect(erased.exitCode).toBe(0);
    expect(erased.lines).toContain(
      "bucket: 1 raw event object(s), 0 claim-check object(s), 0 other object(s); 1 raw event batch(es) written again without the candidate's deliveries",
    );
    expect(await keysUnder('raw/')).toEqual([shared]);
    const left = await readRawEvents(s3, bucket, { key: shared as string });
    expect(left?.events.map((raw) => raw?.dedupeKey)).toEqual(['micro1:interview_report.created:ottoR3port']);
    expect(Buffer.from(left?.events[0]?.bodyBase64 ?? '', 'base64').toString()).toContain('otto.batched@');
    expect(`${plan}\n${erased.lines.join('\n')}`).not.toContain('maya.batched@');

    // And Otto is still found, by his delivery in the rewritten batch
    const otto = await runOpsCommand(['erase', '--email', 'otto.batched@example.com'], dataDir);
    expect(otto.lines.join('\n')).toContain(`bucket: raw events (1):\n  ${shared}\n`);
  });

  it('keeps an entry it does not understand in a rewritten batch, and drops only such an entry that identifies them', async () => {
    // Prepare: three batches of Lena's and Omar's reports, each with an entry this version does not read
    // (a vendor it does not know); in the second, that entry holds Lena's e-mail, in the third only her name
    const at = Date.now();
    const opaque = (mention: string) => ({
      schemaVersion: 1,
      vendor: 'acme',
      dedupeKey: `acme:${mention}`,
      receivedAt: new Date(at).toISOString(),
      note: mention,
    });
    const batchOf = async (name: string, entry: unknown) => {
      const key = `raw/batches/${new Date(at).toISOString().slice(0, 10)}/${name}.json`;
      const events = [
        rawEventFor('micro1', reportOf('lena'), new Date(at)),
        entry,
        rawEventFor('micro1', reportOf('omar'), new Date(at + 1)),
      ];
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify({ schemaVersion: 2, events }),
        }),
      );
      return key;
    };
    const anonymous = await batchOf('0000000000000000000000000000aaaa', opaque('nobody in particular'));
    // a stored delivery of a vendor since removed: her e-mail only in its base64 body, as the store keeps it
    const naming = await batchOf('0000000000000000000000000000bbbb', {
      ...opaque('a delivery'),
      bodyBase64: Buffer.from(JSON.stringify({ email: 'lena.batched@example.com' })).toString('base64'),
    });
    // a namesake, or text that happens to hold the name: not an identity
    const byName = await batchOf('0000000000000000000000000000dddd', opaque('Lena Batched'));
    // and a batch whose only delivery is Lena's, beside an entry that does not name her
    const hersAndOpaque = `raw/batches/${new Date(at).toISOString().slice(0, 10)}/0000000000000000000000000000cccc.json`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: hersAndOpaque,
        Body: JSON.stringify({
          schemaVersion: 2,
          events: [rawEventFor('micro1', reportOf('lena'), new Date(at)), opaque('someone else')],
        }),
      }),
    );

    // Act
    const erased = await runOpsCommand(['erase', '--email', 'lena.batched@example.com', '--yes'], dataDir);

    // Assess: the first and the fourth written again with Omar's report and the entry as it was; the second
    // with Omar's report alone (it was deleted whole, Omar's delivery with it)
    expect(erased.exitCode).toBe(0);
    const keys = await keysUnder('raw/batches/');
    for (const [key, entry] of [
      [anonymous, opaque('nobody in particular')],
      [byName, opaque('Lena Batched')],
    ] as const) {
      expect(keys).toContain(key);
      const left = await readRawEvents(s3, bucket, { key });
      expect(left?.events.map((raw) => raw?.dedupeKey)).toEqual([
        'micro1:interview_report.created:omarR3port',
        undefined,
      ]);
      expect(left?.entries[1]).toEqual(entry);
      expect(JSON.stringify(left?.entries)).not.toContain('lena.batched');
    }
    expect(keys).toContain(naming);
    const omarsAlone = await readRawEvents(s3, bucket, { key: naming });
    expect(omarsAlone?.entries.map((entry) => (entry as RawEvent).dedupeKey)).toEqual([
      'micro1:interview_report.created:omarR3port',
    ]);
    // the third written again with the entry alone (not deleted with her delivery)
    expect(keys).toContain(hersAndOpaque);
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: hersAndOpaque }));
    expect(JSON.parse((await Body?.transformToString()) ?? '{}')).toEqual({
      schemaVersion: 2,
      events: [opaque('someone else')],
    });
  });

  it('decides each entry of a batch none of whose entries it understands, never deleting it whole', async () => {
    // Prepare: a batch of a vendor since removed: one delivery holds Pia's e-mail, the other someone else's,
    // and both name a "Pia" in a note (a name is not an identity)
    const at = Date.now();
    const entry = (email: string) => ({
      schemaVersion: 1,
      vendor: 'acme',
      dedupeKey: `acme:${email}`,
      receivedAt: new Date(at).toISOString(),
      note: 'interviewed by Pia Opaque',
      bodyBase64: Buffer.from(JSON.stringify({ email })).toString('base64'),
    });
    const key = `raw/batches/${new Date(at).toISOString().slice(0, 10)}/0000000000000000000000000000eeee.json`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({
          schemaVersion: 2,
          events: [entry('pia.opaque@example.com'), entry('ren.other@example.com')],
        }),
      }),
    );

    // Act
    const erased = await runOpsCommand(['erase', '--email', 'pia.opaque@example.com', '--yes'], dataDir);

    // Assess: written again with the other delivery alone (it was deleted whole, theirs with it)
    expect(erased.exitCode).toBe(0);
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(JSON.parse((await Body?.transformToString()) ?? '{}')).toEqual({
      schemaVersion: 2,
      events: [entry('ren.other@example.com')],
    });
  });

  it("erases a delivery of a vendor this version no longer knows, found in its decoded body, and an object beside the store's day folders or directly under raw/, and leaves another person's", async () => {
    // Prepare: single-delivery objects under raw/acme/ (a removed vendor): Nina's and Omar's
    const day = new Date().toISOString().slice(0, 10);
    const stored = (who: string) => ({
      schemaVersion: 1,
      vendor: 'acme',
      dedupeKey: `acme:${who}`,
      receivedAt: new Date().toISOString(),
      headers: { 'content-type': 'application/json' },
      bodyBase64: Buffer.from(
        JSON.stringify({ candidate: { email: `${who}.removed@example.com` } }),
      ).toString('base64'),
    });
    for (const who of ['nina', 'omar']) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `raw/acme/${day}/${who}.json`,
          Body: JSON.stringify(stored(who)),
        }),
      );
    }
    // And one put by hand beside the current vendors' day folders, naming her
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'raw/round0/notes.txt',
        Body: 'call nina.removed@example.com',
      }),
    );
    // And one put by hand directly under raw/, beside the vendors' folders
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'raw/to-check.txt', Body: 'nina.removed@example.com?' }),
    );

    // Act
    const erased = await runOpsCommand(['erase', '--email', 'nina.removed@example.com', '--yes'], dataDir);

    // Assess
    expect(erased.exitCode).toBe(0);
    expect(erased.lines.join('\n')).toMatch(/3 other object\(s\)/);
    expect(await keysUnder('raw/acme/')).toEqual([`raw/acme/${day}/omar.json`]);
    expect(await keysUnder('raw/round0/notes')).toEqual([]);
    expect(await keysUnder('raw/to-check')).toEqual([]);
  });

  it('names an object too large to search and exits 1, rather than skipping it as if it held nothing', async () => {
    // Prepare: an object outside the known prefixes, over 1 MiB, its key naming nobody
    const key = 'exports/2026-12/big-export.ndjson';
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(1024 * 1024 + 1, 0x61) }),
    );

    // Act
    const erased = await runOpsCommand(['erase', '--email', 'nobody.here@example.com', '--yes'], dataDir);

    // Assess: named, left alone, and the erase not called done
    expect(erased.exitCode).toBe(1);
    expect(erased.lines).toContainEqual(expect.stringMatching(/^bucket: not searched, larger than 1 MiB/));
    expect(erased.lines).toContain(`  ${key}`);
    expect(await keysUnder('exports/')).toEqual([key]);
  });
});
