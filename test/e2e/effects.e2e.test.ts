/**
 * Every ATS effect exactly once, end to end through `npm start`'s runtime (HTTP → ingest → SQS → event
 * source → worker) against the Lever and Slack fakes: two interviews of one micro1 candidate, a report
 * raced by its recording (the interleaving forced), late parts, a late start, Slack answering 502 after
 * posting, and the worker killed between each ATS write and its ledger update, then retried by SQS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { interviewStatePk } from '../../functions/ledger/interview-ledger.js';
import { resources } from '../../lib/resources.js';
import { localAws } from '../../local/emulators.js';
import { type FakeLever, type FakeLeverOpportunity, startFakeLever } from '../../local/fakes/lever.js';
import { type FakeSlack, startFakeSlack } from '../../local/fakes/slack.js';
import { queueDepth } from '../../local/queue-depth.js';
import type { LocalPipeline } from '../../local/runtime.js';
import { eventually } from '../integration/local/factories.js';
import {
  type Fixture,
  type FixtureJson,
  fixtureNamed,
  loadFixtures,
  opportunity,
  sendFixture,
  settled,
  startKillablePipeline,
  workerKills,
} from './helpers.js';

const completed = 'AI screening completed';
const inProgress = 'AI screening in progress';

/** Keys of the writes the next kill targets; each key is killed once (after its ATS call, before its record). */
const { killOnce, killed, killAfterWrite } = workerKills();

let pipeline: LocalPipeline;
let lever: FakeLever;
let slack: FakeSlack;
let tempDir: string;
let fixtures: Fixture[];
let ledger: DynamoDBDocumentClient;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'effects-e2e-'));
  fixtures = await loadFixtures();
  lever = await startFakeLever({
    seed: {
      users: ['recruiter-1'],
      stages: ['stage-applied', 'stage-screened', 'stage-onsite'],
      opportunities: [
        opportunity('opp-jane', 'jane@example.com'),
        opportunity('opp-backend', 'john.doe@micro1.ai'),
        opportunity('opp-frontend', 'john.doe@micro1.ai'),
        opportunity('opp-race', 'race@example.com'),
        opportunity('opp-late', 'late.parts@example.com'),
        opportunity('opp-kill', 'kill@example.com'),
      ],
    },
  });
  slack = await startFakeSlack();
  pipeline = await startKillablePipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    afterWrite: killAfterWrite,
    env: {
      ATS_ADAPTER: 'lever',
      ATS_CONFIG: JSON.stringify({
        baseUrl: `${lever.url}/v1`,
        performAs: 'recruiter-1',
        addLinks: true,
        http: { maxAttempts: 1, timeoutMs: 1500 },
      }),
      ATS_COMPLETED_STAGE_ID: 'stage-screened',
      SLACK_NOTIFICATIONS: 'true',
    },
    integration: { ats: { apiKey: 'lever-key' }, slackWebhookUrl: slack.webhookUrl },
  });
  ledger = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: localAws.region,
      endpoint: pipeline.endpoints.dynamodb,
      credentials: localAws.credentials,
    }),
  );
});

afterAll(async () => {
  await pipeline?.stop();
  await lever?.close();
  await slack?.close();
  await rm(tempDir, { recursive: true, force: true });
});

/** Sends a fixture with `change` applied to a copy of its JSON. */
const send = (vendor: 'round0' | 'micro1', name: string, change?: (json: FixtureJson) => void) =>
  sendFixture(pipeline, fixtureNamed(fixtures, vendor, name), change);

/** A micro1 event of report `reportId` by candidate `candidate`, for application `applicationId`. */
const micro1 = (
  name: string,
  reportId: string,
  applicationId: string,
  extra: (json: FixtureJson) => void = () => {},
) =>
  send('micro1', name, (json) => {
    json.data.report_id = reportId;
    json.data.candidate_id = 'cand-john';
    if ('ats_job_application_id' in json.data) json.data.ats_job_application_id = applicationId;
    extra(json);
  });

const notesOf = (id: string) =>
  lever.state.notes
    .filter((note) => note.opportunityId === id)
    .map((note) => note.fields.map((field) => field.value).join('\n'));
const opportunityOf = (id: string) =>
  lever.state.opportunities.find((o) => o.id === id) as FakeLeverOpportunity;
const slackTexts = () => slack.state.messages.map((message) => message.text ?? '');

/** The event records of an interview's ledger item. */
const eventsOf = async (vendor: string, interviewKey: string) => {
  const { Item } = await ledger.send(
    new GetCommand({
      TableName: resources.ledgerTable.name,
      Key: { pk: interviewStatePk(vendor as 'micro1', interviewKey), sk: 'STATE' },
      ConsistentRead: true,
    }),
  );
  return (Item?.events ?? {}) as Record<string, { done?: boolean }>;
};

describe('effects end to end (local runtime, Lever and Slack fakes)', () => {
  it('gives each of a micro1 candidate’s two interviews its note, status and stage on its own application', async () => {
    // Act
    await micro1('interview_report.created', 'rep-backend', 'opp-backend');
    await micro1('interview_report.created', 'rep-frontend', 'opp-frontend', (json) => {
      json.data.interview_id = 'interview-frontend';
    });
    await settled(pipeline);

    // Assess
    for (const id of ['opp-backend', 'opp-frontend']) {
      expect(notesOf(id)).toHaveLength(1);
      expect(opportunityOf(id).tags).toEqual([completed]);
      expect(opportunityOf(id).stage).toBe('stage-screened');
    }
    expect(notesOf('opp-backend')[0]).toContain('ref: interview-sync:micro1:report:rep-backend');
    expect(notesOf('opp-frontend')[0]).toContain('ref: interview-sync:micro1:report:rep-frontend');
  });

  it('marks the record completed when a recording advanced the interview while the report looked it up', async () => {
    // Prepare: the report's lookup of its application is held until the recording has been processed
    const hold = lever.faults.hold({ method: 'GET', path: /\/opportunities\/opp-race$/ });

    // Act
    await micro1('interview_report.created', 'rep-race', 'opp-race');
    await hold.reached;
    await micro1('interview_recording.completed', 'rep-race', 'opp-race');
    await eventually(async () => {
      expect(
        (await eventsOf('micro1', 'report:rep-race'))['micro1:interview_recording.completed:rep-race']?.done,
      ).toBe(true);
    }, 20_000);
    hold.release();
    await settled(pipeline);

    // Assess: the report wrote the status although the recording had moved the interview on
    expect(opportunityOf('opp-race').tags).toEqual([completed]);
    expect(notesOf('opp-race')).toHaveLength(1);
    expect(notesOf('opp-race')[0]).toContain('zara.micro1.ai');
  });

  it('gives a proctoring score and recordings that arrive after the note one follow-up each, once', async () => {
    // Act
    await micro1('interview_report.created', 'rep-late', 'opp-late');
    await settled(pipeline);
    for (let round = 0; round < 2; round++) {
      await micro1('proctoring_score.completed', 'rep-late', 'opp-late', (json) => {
        json.data.proctoring_score = 41;
      });
      await micro1('interview_recording.completed', 'rep-late', 'opp-late');
      await micro1('interview_webcam_recording.completed', 'rep-late', 'opp-late', (json) => {
        json.data.interview_webcam_recording_player_url = 'https://zara.micro1.ai/ai-interview-videos/CAM';
      });
    }
    await settled(pipeline);

    // Assess
    const notes = notesOf('opp-late');
    expect(notes).toHaveLength(4);
    expect(notes.filter((n) => n.includes('Proctoring score: 41/100'))).toHaveLength(1);
    expect(notes.filter((n) => n.includes('ai-interview-videos/ABCDXYZ'))).toHaveLength(1);
    expect(notes.filter((n) => n.includes('ai-interview-videos/CAM'))).toHaveLength(1);
    // Lever links are their own effect: the report, then each recording, added once.
    expect([...opportunityOf('opp-late').links].sort()).toEqual(
      [
        'https://micro1.ai/report/h0gqkAcaDJ.pdf',
        'https://zara.micro1.ai/ai-interview-videos/ABCDXYZ',
        'https://zara.micro1.ai/ai-interview-videos/CAM',
      ].sort(),
    );
  });

  it('writes and announces nothing for an interview_started that arrives after interview_ended', async () => {
    // Prepare
    const interview = 'interview-late-start';
    const event = (json: FixtureJson, id: string) => {
      json.id = id;
      json.data.interview.id = interview;
      json.data.candidate.email = 'jane@example.com';
    };
    await send('round0', 'interview_ended', (json) => event(json, 'evt_late_start_end'));
    await settled(pipeline);
    const tagWritesBefore = lever.state.requests.filter((r) => r.path.endsWith('Tags')).length;
    const messagesBefore = slackTexts().length;

    // Act
    await send('round0', 'interview_started', (json) => event(json, 'evt_late_start_start'));
    await settled(pipeline);

    // Assess
    expect(lever.state.requests.filter((r) => r.path.endsWith('Tags')).length).toBe(tagWritesBefore);
    expect(slackTexts()).toHaveLength(messagesBefore);
    expect(opportunityOf('opp-jane').tags).toEqual([completed]);
    expect(opportunityOf('opp-jane').tags).not.toContain(inProgress);
  });

  it('posts one Slack message when Slack answers 502 after posting it', async () => {
    // Prepare
    slack.faults.add({ method: 'POST', status: 502, when: 'after' });
    const before = slackTexts().length;

    // Act
    await send('round0', 'interview_ended', (json) => {
      json.id = 'evt_slack_502';
      json.data.interview.id = 'interview-slack-502';
      json.data.candidate.email = 'jane@example.com';
    });
    await settled(pipeline);

    // Assess
    expect(slackTexts().slice(before)).toEqual([
      'Jane Smith (Senior Frontend Developer): AI screening completed',
    ]);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
  });

  it('makes every write exactly once when the worker is killed after each ATS write, before its record', async () => {
    // Prepare: one kill after each kind of write of one interview; SQS redelivers after each
    for (const key of ['status:completed', 'note', 'stage:stage-screened', 'notify:completed'])
      killOnce.add(key);
    const messagesBefore = slackTexts().length;

    // Act
    await send('round0', 'interview_ended', (json) => {
      json.id = 'evt_killed';
      json.data.interview.id = 'interview-killed';
      json.data.candidate.email = 'kill@example.com';
    });
    await eventually(() => expect(killOnce.size).toBe(0), 60_000);
    await settled(pipeline);

    // Assess: every kill happened, and the ATS shows each write once
    expect(killed).toEqual(['status:completed', 'note', 'stage:stage-screened', 'notify:completed']);
    expect(notesOf('opp-kill')).toHaveLength(1);
    expect(opportunityOf('opp-kill').tags).toEqual([completed]);
    expect(opportunityOf('opp-kill').stage).toBe('stage-screened');
    expect(
      lever.state.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/opp-kill/stage')),
    ).toHaveLength(1);
    // At most once: the notification the killed attempt sent is not sent again.
    expect(slackTexts().slice(messagesBefore)).toEqual([
      'Jane Smith (Senior Frontend Developer): AI screening completed',
    ]);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
  });
});
