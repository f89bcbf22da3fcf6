/**
 * `npm run ops -- erase` and the stored records today's parser refuses (a vendor schema changed after they
 * were stored), on the emulators alone: a micro1 recording delivery names no e-mail, only its report id, so
 * once refused it is the candidate's only by that id. The erase searches such deliveries and claim checks for
 * every needle (e-mails, names, pseudonyms, candidate and interview ids), as it does objects of unknown kinds.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type RawEvent, rawEventKey } from '../../../functions/queue/raw-events.js';
import { resources } from '../../../lib/resources.js';
import { listObjects } from '../../../local/ops/s3-objects.js';
import { runOpsCommand } from '../../../local/ops.js';
import { type EmulatorStage, startEmulatorStage } from './emulator-stage.js';
import { ensureRawEvent } from './raw-events.js';

const bucket = resources.bucket.name;

const maya = {
  email: 'maya.unparsed@example.com',
  name: 'Maya Unparsed',
  reportId: 'MayaR3port',
  candidateId: 'maya-candidate-0001',
};

let dataDir: string;
let s3: S3Client;

/** A micro1 report of Maya's, as micro1 sends it (it names her e-mail and her report id). */
const mayaReport = () => ({
  event: 'interview_report.created',
  data: {
    report_id: maya.reportId,
    interview_id: 'maya-interview-0001',
    session_id: 'maya-session-0001',
    candidate_id: maya.candidateId,
    job_applicant_id: 'maya-applicant-0001',
    candidate_name: maya.name,
    candidate_email_id: maya.email,
    report_date: '2024-01-01',
    proctoring_score: 85,
    ai_match_score: 85,
    status: 'active',
  },
});

/**
 * A recording delivery of `reportId` that this version's parser refuses (its URL is a number, as a schema
 * change might make it), stored as the worker stored it when an earlier parser accepted it.
 */
const storeRefusedRecording = async (reportId: string, receivedAt: Date): Promise<string> => {
  const body = Buffer.from(
    JSON.stringify({
      event: 'interview_recording.completed',
      data: { report_id: reportId, interview_recording_url: 42 },
    }),
  );
  const dedupeKey = `micro1:interview_recording.completed:${reportId}`;
  const raw: RawEvent = {
    schemaVersion: 1,
    vendor: 'micro1',
    type: 'interview_recording.completed',
    dedupeKey,
    receivedAt: receivedAt.toISOString(),
    headers: { 'content-type': 'application/json' },
    bodyBase64: body.toString('base64'),
  };
  const key = rawEventKey('micro1', receivedAt, dedupeKey);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(raw) }));
  return key;
};

const keysUnder = async (prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const ref of listObjects(s3, bucket, prefix)) keys.push(ref.key);
  return keys.sort();
};

let stage: EmulatorStage | undefined;

beforeAll(async () => {
  stage = await startEmulatorStage('ops-erase-unparsed-');
  ({ dataDir, s3 } = stage);
});

afterAll(async () => {
  await stage?.close();
});

describe('npm run ops -- erase (records the parser refuses)', () => {
  it('plans and erases a stored micro1 recording the parser refuses that names only the candidate’s report id', async () => {
    // Prepare: her report (found by her e-mail), a refused recording of her report, and a refused recording
    // of another report
    const receivedAt = new Date();
    expect(
      await ensureRawEvent(s3, bucket, 'micro1', Buffer.from(JSON.stringify(mayaReport())), receivedAt),
    ).toBe('test');
    const reportKey = rawEventKey('micro1', receivedAt, `micro1:interview_report.created:${maya.reportId}`);
    const refusedKey = await storeRefusedRecording(maya.reportId, receivedAt);
    const othersKey = await storeRefusedRecording('OtherR3port', receivedAt);
    expect(await keysUnder('raw/')).toEqual([othersKey, refusedKey, reportKey].sort());

    // Act
    const planned = await runOpsCommand(['erase', '--email', maya.email], dataDir);
    const erased = await runOpsCommand(['erase', '--email', maya.email, '--yes'], dataDir);

    // Assess: the refused recording of her report is in the plan with her report, and deleted with it
    const plan = planned.lines.join('\n');
    expect(planned.exitCode).toBe(2);
    expect(plan).toContain(`\n  micro1 report:${maya.reportId}\n`);
    expect(plan).toContain(`bucket: raw events (2):\n  ${[reportKey, refusedKey].sort().join('\n  ')}\n`);
    expect(plan).not.toContain(othersKey);
    expect(erased.exitCode).toBe(0);
    expect(erased.lines).toContain(
      'bucket: 2 raw event object(s), 0 claim-check object(s), 0 other object(s)',
    );
    expect(await keysUnder('raw/')).toEqual([othersKey]);
    expect(`${plan}\n${erased.lines.join('\n')}`).not.toContain(maya.email);
  });

  it('erases a claim check that is no envelope this version reads, found by the candidate’s report id in it', async () => {
    // Prepare: her report again, and two claim checks of a message shape this version does not know (one
    // naming her report id, one another's)
    const receivedAt = new Date();
    await ensureRawEvent(s3, bucket, 'micro1', Buffer.from(JSON.stringify(mayaReport())), receivedAt);
    const claimCheck = (reportId: string) =>
      JSON.stringify({
        kind: 'event-v2',
        envelope: { vendor: 'micro1', data: { report_id: reportId, recording: { url: 42 } } },
      });
    const herKey = 'claim-checks/2024-01-01/unparsed-her.json';
    const othersKey = 'claim-checks/2024-01-01/unparsed-other.json';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: herKey, Body: claimCheck(maya.reportId) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: othersKey, Body: claimCheck('OtherR3port') }));

    // Act
    const { lines, exitCode } = await runOpsCommand(['erase', '--email', maya.email, '--yes'], dataDir);

    // Assess
    expect(exitCode).toBe(0);
    expect(lines).toContain('bucket: 1 raw event object(s), 1 claim-check object(s), 0 other object(s)');
    expect(lines).toContain(`  ${herKey}`);
    expect(await keysUnder('claim-checks/')).toEqual([othersKey]);
  });
});
