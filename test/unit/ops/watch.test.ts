/**
 * `npm run ops -- watch --stage`: the ingest's and the worker's log lines (CloudWatch Logs FilterLogEvents
 * through aws-sdk-client-mock: no emulator exists) turned into one line per delivery or outcome, only named
 * fields read so nothing else a line carries is printed, each line printed once while following.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  deliveryFilterPattern,
  deliveryLineOf,
  formatDeliveryLine,
  parseSince,
  watchDeployed,
  watchLocal,
} from '../../../local/ops/watch.js';
import { OpsUsageError, runOpsCommand } from '../../../local/ops.js';
import { cloudFormation, deployStage, region, statelessOutputs } from './deployed-stage.js';

const logs = mockClient(CloudWatchLogsClient);
const ingestGroup = statelessOutputs.IngestLogGroupName;
const workerGroup = statelessOutputs.WorkerLogGroupName;
const t0 = Date.parse('2026-05-01T12:00:00.000Z');

/** A Powertools log line as the handlers write it. */
const logLine = (at: number, service: string, fields: Record<string, unknown>) => ({
  eventId: `${service}-${at}-${String(fields.message)}`,
  timestamp: at,
  message: JSON.stringify({ level: 'INFO', timestamp: new Date(at).toISOString(), service, ...fields }),
});

const ingestLines = [
  logLine(t0 + 1000, 'interview-sync-ingest', {
    message: 'webhook accepted',
    correlation_id: 'round0:evt_1',
    vendor: 'round0',
    eventType: 'interview_ended',
    known: true,
    messageId: 'm-1',
    claimCheck: false,
  }),
  logLine(t0 + 2000, 'interview-sync-ingest', {
    message: 'test delivery received',
    correlation_id: 'round0:evt_test_123456789',
    vendor: 'round0',
    eventType: 'interview_ended',
  }),
  logLine(t0 + 3000, 'interview-sync-ingest', {
    message: 'webhook refused',
    status: 401,
    error: 'WebhookAuthenticationError',
    vendor: 'micro1',
    reason: 'webhook authentication failed (token)',
  }),
  logLine(t0 + 5000, 'interview-sync-ingest', {
    message: 'webhook not queued',
    status: 503,
    error: 'RawEventStoreError',
    // A field no watch line reads: whatever it holds stays out of the output.
    cause: 'RawEventStoreError: put failed for jane.doe@example.com',
  }),
  // Lambda's text format puts a prefix before the JSON.
  {
    eventId: 'ingest-prefixed',
    timestamp: t0 + 6000,
    message: `2026-05-01T12:00:06.000Z\tc0ffee\tINFO\t${JSON.stringify({
      message: 'webhook refused',
      status: 400,
      error: 'InvalidEventError',
      vendor: 'round0',
      reason: 'event violates the schema at data.interview.id',
    })}`,
  },
  { eventId: 'ingest-other', timestamp: t0 + 6500, message: 'INIT_START Runtime Version: nodejs:22' },
];

const workerLines = [
  logLine(t0 + 4000, 'interview-sync-worker', {
    message: 'event processed',
    eventKey: 'round0:evt_1',
    vendor: 'round0',
    eventType: 'interview_ended',
    messageId: 'm-1',
    outcome: 'synced',
    interviewKey: 'int-1',
    effects: { note: 'ran', 'status:completed': 'ran' },
    candidateEmail: 'jane.doe@example.com',
  }),
  logLine(t0 + 7000, 'interview-sync-worker', {
    message: 'duplicate event acknowledged',
    eventKey: 'round0:evt_1',
    vendor: 'round0',
    eventType: 'interview_ended',
  }),
  logLine(t0 + 8000, 'interview-sync-worker', {
    message: 'candidate not found in the ATS; event parked for replay',
    eventKey: 'micro1:interview_report.created:r1',
    vendor: 'micro1',
    eventType: 'interview_report.created',
    reason: 'no candidate with this e-mail',
  }),
];

beforeEach(() => {
  deployStage();
  logs.reset();
});

afterAll(() => {
  logs.restore();
  cloudFormation.restore();
});

describe('the handlers’ log lines watch reads', () => {
  it('reads every message of the handlers that its log filter lets through, each dead-letter and retry included', async () => {
    // Prepare: the messages the handlers log, from their sources, that the CloudWatch filter passes
    const sources = await Promise.all(
      ['functions/ingest.ts', 'functions/worker.ts'].map((file) => readFile(file, 'utf8')),
    );
    const messages = sources.flatMap((source) =>
      // A message in any quotes (a template literal too: its text up to the first substitution)
      [...source.matchAll(/logger\.(?:info|warn|error)\(\s*(['"`])((?:(?!\1|\$\{).)+)/g)].map(
        (match) => match[2] ?? '',
      ),
    );
    const phrases = [...deliveryFilterPattern.matchAll(/"([^"]+)"/g)].map((match) => match[1] ?? '');
    const passed = messages.filter((message) => phrases.some((phrase) => message.includes(phrase)));

    // Act
    const unread = passed.filter(
      (message) => deliveryLineOf(JSON.stringify({ message }), 0, 'worker') === undefined,
    );

    // Assess
    expect(passed).toEqual(
      expect.arrayContaining([
        'event kept failing; dead-lettered',
        'message will be retried',
        'webhook accepted',
      ]),
    );
    expect(unread).toEqual([]);
  });

  it('shows an event dead-lettered at its last receive with the reason', () => {
    // Act
    const line = deliveryLineOf(
      JSON.stringify({
        message: 'event kept failing; dead-lettered',
        eventKey: 'round0:evt_2',
        vendor: 'round0',
        eventType: 'interview_ended',
        error: 'AtsTransientError',
        reason: 'gave up after 10 attempts; the last failed with AtsTransientError',
      }),
      Date.parse('2026-12-06T10:00:00.000Z'),
      'worker',
    );

    // Assess
    expect(line).toMatchObject({ key: 'round0:evt_2', tone: 'bad' });
    expect(formatDeliveryLine(line as NonNullable<typeof line>)).toContain(
      'dead-lettered: gave up after 10 attempts; the last failed with AtsTransientError',
    );
  });
});

describe('npm run ops -- watch --stage', () => {
  it('prints accepted, test, refused with reason, 5xx and the worker outcomes in time order, no PII', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand, { logGroupName: ingestGroup })
      .resolves({ events: ingestLines })
      .on(FilterLogEventsCommand, { logGroupName: workerGroup })
      .resolves({ events: workerLines });

    // Act
    const { lines } = await runOpsCommand(
      ['watch', '--stage', 'prod', '--region', region, '--once', '--since', new Date(t0).toISOString()],
      '/nonexistent/',
    );

    // Assess
    expect(lines.map((line) => line.replace(/ {2,}/g, ' | '))).toEqual([
      '2026-05-01T12:00:01Z | ingest | round0 | interview_ended | accepted | round0:evt_1',
      '2026-05-01T12:00:02Z | ingest | round0 | interview_ended | test delivery: accepted | round0:evt_test_123456789',
      '2026-05-01T12:00:03Z | ingest | micro1 | - | refused 401: webhook authentication failed (token)',
      '2026-05-01T12:00:04Z | worker | round0 | interview_ended | synced (ATS: note, status:completed) | round0:evt_1',
      '2026-05-01T12:00:05Z | ingest | - | - | 5xx not queued (503 RawEventStoreError): the vendor retries',
      '2026-05-01T12:00:06Z | ingest | round0 | - | refused 400: event violates the schema at data.interview.id',
      '2026-05-01T12:00:07Z | worker | round0 | interview_ended | duplicate (processed before: nothing written) | round0:evt_1',
      '2026-05-01T12:00:08Z | worker | micro1 | interview_report.created | parked: candidate not found in the ATS (npm run ops -- parked unmatched) | micro1:interview_report.created:r1',
    ]);
    expect(lines.join('\n')).not.toMatch(/jane|example\.com/);
    expect(logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        logGroupName: ingestGroup,
        startTime: t0,
        endTime: expect.any(Number),
        filterPattern: deliveryFilterPattern,
      },
      {
        logGroupName: workerGroup,
        startTime: t0,
        endTime: expect.any(Number),
        filterPattern: deliveryFilterPattern,
      },
    ]);
  });

  it('while following, prints each line once though successive polls overlap, and stops when asked', async () => {
    // Prepare: the worker's line becomes searchable only at the second poll (late, with its own earlier
    // timestamp); the second poll's window overlaps the first and sees the ingest's line again.
    const first = ingestLines[0] as (typeof ingestLines)[number];
    const late = workerLines[0] as (typeof workerLines)[number];
    let polls = 0;
    logs.on(FilterLogEventsCommand).callsFake((input: { logGroupName: string; startTime: number }) => {
      if (input.logGroupName === ingestGroup) polls += 1;
      const visible = input.logGroupName === ingestGroup ? [first] : polls >= 2 ? [late] : [];
      return { events: visible.filter((event) => event.timestamp >= input.startTime) };
    });
    const printed: string[] = [];
    const stop = new AbortController();
    let clock = t0 + 10_000;

    // Act
    await watchDeployed({
      logs: new CloudWatchLogsClient({ region }),
      logGroups: { ingest: ingestGroup, worker: workerGroup },
      since: new Date(t0),
      pollMs: 1,
      overlapMs: 30_000,
      now: () => {
        clock += 1_000;
        return clock;
      },
      signal: stop.signal,
      print: (line) => {
        printed.push(line);
        if (printed.length === 2) stop.abort();
      },
    });

    // Assess
    expect(printed).toEqual([
      expect.stringMatching(/ingest .* accepted {2}round0:evt_1$/),
      expect.stringMatching(/worker .* synced /),
    ]);
    const starts = logs
      .commandCalls(FilterLogEventsCommand, { logGroupName: ingestGroup })
      .map((call) => call.args[0].input.startTime);
    // The window starts at --since until the overlap passes it.
    expect(starts).toEqual([t0, t0]);
  });

  it('colours the outcome on a terminal, and only there', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({ events: [ingestLines[2] as (typeof ingestLines)[number]] });
    const argv = ['watch', '--stage', 'prod', '--region', region, '--once', '--since', '1h'];

    // Act
    const plain = await runOpsCommand(argv, '/nonexistent/');
    const coloured = await runOpsCommand(argv, '/nonexistent/', { color: true });

    // Assess
    expect(plain.lines.join('')).not.toContain('\u001b[');
    expect(coloured.lines.join('')).toContain('\u001b[31mrefused 401');
  });

  it.each(['yesterday', '10', 'May 1', '2026-05-01T11:50', '2026-02-30'])(
    'refuses a --since it cannot read as a duration or a time with its zone: %s',
    async (since) => {
      // Act & Assess
      await expect(
        runOpsCommand(['watch', '--stage', 'prod', '--region', region, '--since', since], '/nonexistent/'),
      ).rejects.toThrow(OpsUsageError);
      expect(logs.commandCalls(FilterLogEventsCommand)).toEqual([]);
    },
  );

  it.each([
    ['10m', Date.parse('2026-12-06T11:50:00.000Z')],
    ['45s', Date.parse('2026-12-06T11:59:15.000Z')],
    ['2h', Date.parse('2026-12-06T10:00:00.000Z')],
    ['1d', Date.parse('2026-12-05T12:00:00.000Z')],
    ['2026-12-06', Date.parse('2026-12-06T00:00:00.000Z')],
    ['2026-12-06T13:50+02:00', Date.parse('2026-12-06T11:50:00.000Z')],
  ])('reads --since %s', (since, expected) => {
    // Act & Assess
    expect(parseSince(since, Date.parse('2026-12-06T12:00:00.000Z'))?.getTime()).toBe(expected);
  });
});

describe('npm run ops -- watch (local): the console stream', () => {
  it('says when the local console cannot read the stores and when it can again, and goes on printing deliveries', async () => {
    // Prepare: a console stream that sends a snapshot, "failing", "ok", then ends
    const snapshot = {
      events: [
        {
          dedupeKey: 'round0:evt_1',
          vendor: 'round0',
          type: 'interview_ended',
          outcome: 'done',
          time: '2026-05-01T12:00:00.000Z',
        },
      ],
    };
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 1000\n\n');
      res.write(`data: ${JSON.stringify(snapshot)}\n\n`);
      res.write('event: status\ndata: {"ok":false,"since":"2026-05-01T12:00:05.000Z"}\n\n');
      res.end('event: status\ndata: {"ok":true}\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const printed: string[] = [];

    // Act
    try {
      await watchLocal({
        consoleUrl: `http://127.0.0.1:${port}/console`,
        print: (line) => printed.push(line),
        since: new Date(t0 - 60_000),
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }

    // Assess
    expect(printed).toEqual([
      expect.stringMatching(/interview_ended +done {2}round0:evt_1$/),
      "the local console cannot read the stores since 2026-05-01T12:00:05.000Z (see npm start's output)",
      'the local stores can be read again',
      'the local pipeline stopped (npm start ended)',
    ]);
  });
});
