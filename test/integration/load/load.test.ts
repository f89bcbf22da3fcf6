/**
 * `npm run load` with a tiny load: the command itself (its result line and exit code), then its parts —
 * `npm start` in a child process (fresh data directory), 60 requests of both vendors at 8 connections,
 * drain, audit — with the audit shown able to fail: a write planted twice in the ATS file, an event taken
 * out of the ledger, a write taken out of the ATS file, a note's summary changed.
 */
import { execFile } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { interviewStatePk } from '../../../functions/ledger/interview-ledger.js';
import { auditAfterStop, auditLoad, auditPipeline, readAuditInput } from '../../../local/load/audit.js';
import { type DrainResult, waitForDrain } from '../../../local/load/drain.js';
import { type LoadPipeline, startLoadPipeline } from '../../../local/load/pipeline.js';
import { type SendResult, sendTraffic } from '../../../local/load/sender.js';
import { atsKeyOf, buildTraffic, expectedWritesOf, type Traffic } from '../../../local/load/traffic.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

describe('npm run load', () => {
  it('prints the result as the last stdout line, one JSON object, and exits 0 when nothing was lost', async () => {
    // Act
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'bin/load.ts', '--events', '30', '--concurrency', '8', '--visibility-timeout', '3'],
      // The child must not inherit jest's VM-modules flag.
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 150_000 },
    );

    // Assess: a failing audit would have rejected (exit code 1)
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
    expect(Object.keys(summary)).toEqual([
      'sent',
      'accepted',
      'non2xx',
      'lost',
      'duplicateEffects',
      'expectedEffects',
      'drainSeconds',
      'p50Ms',
      'p99Ms',
      'eventsPerSecond',
    ]);
    expect(summary).toMatchObject({ sent: 30, accepted: 30, non2xx: 0, lost: 0, duplicateEffects: 0 });
    expect(summary.expectedEffects).toBeGreaterThan(0);
    expect(stderr).toMatch(/^load: audit: .*, 0 writes made after the drain/m);
  }, 180_000);
});

let pipeline: LoadPipeline;
let traffic: Traffic;
let sent: SendResult;
let drain: DrainResult;

beforeAll(async () => {
  // A short visibility timeout: a re-delivery that races its original is retried in seconds, not minutes.
  traffic = buildTraffic({ requests: 60, seed: 20261202 });
  pipeline = await startLoadPipeline({ eventsVisibilityTimeoutSeconds: 3, vendorApiSeed: traffic.vendorApi });
  sent = await sendTraffic(traffic, {
    url: pipeline.url,
    round0Secret: pipeline.secrets.webhook.round0SigningSecrets[0] ?? '',
    micro1Token: pipeline.secrets.webhook.micro1Tokens[0] ?? '',
    connections: 8,
  });
  drain = await waitForDrain({
    sqs: pipeline.sqs,
    queueUrls: [pipeline.info.eventsQueueUrl, pipeline.info.queueUrls?.archive ?? ''],
    timeoutMs: 90_000,
  });
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
});

/** Takes one record off an interview's ledger item (`events.<dedupe key>` or `effects.<write key>`). */
const removeFromLedgerItem = async (
  item: { readonly vendor: Traffic['events'][number]['vendor']; readonly ledgerKey: string },
  map: 'events' | 'effects',
  name: string,
): Promise<void> => {
  const client = new DynamoDBClient({
    region: pipeline.info.region,
    endpoint: pipeline.info.endpoints.dynamodb,
    credentials: pipeline.info.credentials,
  });
  try {
    await DynamoDBDocumentClient.from(client).send(
      new UpdateCommand({
        TableName: pipeline.info.ledgerTable,
        Key: { pk: interviewStatePk(item.vendor, item.ledgerKey), sk: 'STATE' },
        UpdateExpression: 'REMOVE #map.#name',
        ExpressionAttributeNames: { '#map': map, '#name': name },
      }),
    );
  } finally {
    client.destroy();
  }
};

describe('npm run load: send, drain and audit', () => {
  it('sends both vendors with re-deliveries, all accepted, and the audit finds nothing lost or doubled', async () => {
    // Prepare
    const vendors = new Set(traffic.events.map((event) => event.vendor));
    const redeliveries = traffic.deliveries.filter((delivery) => delivery.redelivery).length;

    // Act
    const audit = await auditPipeline(pipeline, traffic, sent);

    // Assess
    expect(drain).toMatchObject({ drained: true, messages: 0 });
    expect(vendors).toEqual(new Set(['round0', 'micro1']));
    expect(redeliveries).toBe(6);
    expect({ sent: sent.sent, accepted: sent.accepted, non2xx: sent.non2xx }).toEqual({
      sent: 60,
      accepted: 60,
      non2xx: 0,
    });
    expect(sent.idMismatches).toBe(0);
    expect(sent.acceptedEvents.size).toBe(traffic.events.length);
    expect(audit).toMatchObject({
      lost: 0,
      duplicateEffects: 0,
      lostEvents: [],
      missingWrites: [],
      repeatedWrites: [],
      unexpectedWrites: [],
      deadLetters: 0,
      notesWithoutApiData: [],
      statusRegressions: [],
    });
    const lines = (await readFile(pipeline.atsWritesFile, 'utf8')).trim().split('\n');
    expect(audit.expectedEffects).toBe(lines.length);
    expect(audit.expectedEffects).toBeGreaterThan(traffic.interviews.length);
  });

  it("flags a note whose summary is not the one the vendor API's view makes", async () => {
    // Prepare: the first note of each vendor given another summary (as a note made from the webhook alone)
    const before = await auditPipeline(pipeline, traffic, sent);
    const text = await readFile(pipeline.atsWritesFile, 'utf8');
    const parsed = text
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { eventKey: string; vendor: string; action: string; summary: string },
      );
    const changed = ['round0', 'micro1'].map((vendor) => {
      const note = parsed.find((line) => line.vendor === vendor && line.action === 'note');
      if (note === undefined) throw new Error(`no ${vendor} note in this traffic`);
      note.summary = 'note: 2 sections, 3 items, 0 links';
      return note.eventKey;
    });
    await writeFile(pipeline.atsWritesFile, `${parsed.map((line) => JSON.stringify(line)).join('\n')}\n`);

    // Act
    const audit = await auditPipeline(pipeline, traffic, sent);
    await writeFile(pipeline.atsWritesFile, text);

    // Assess
    expect(before.notesWithoutApiData).toEqual([]);
    expect([...audit.notesWithoutApiData].sort()).toEqual([...changed].sort());
  });

  it('expects the writes of an event answered 5xx that the ledger shows processed, and flags them otherwise', async () => {
    // Prepare: an end, as if its every delivery had been answered 500 (the ingest timed out after queueing)
    const end = traffic.events.findIndex((event) => event.role === 'ended' || event.role === 'report');
    const others = new Set([...sent.acceptedEvents].filter((event) => event !== end));

    // Act
    const uncertain = await auditPipeline(pipeline, traffic, {
      acceptedEvents: others,
      uncertainEvents: new Set([end]),
    });
    const refused = await auditPipeline(pipeline, traffic, { acceptedEvents: others });

    // Assess
    expect(uncertain).toMatchObject({ lost: 0, duplicateEffects: 0, uncertainProcessed: 1 });
    expect(refused.unexpectedWrites).toEqual(
      expect.arrayContaining([expect.stringMatching(/:status:completed$/), expect.stringMatching(/:note$/)]),
    );
  });

  it('detects a write made twice, an event missing from the ledger and a write missing from the ATS', async () => {
    // Prepare: every write of the file once more for its first line; the first line's key removed once;
    // one accepted event's record taken off its ledger item.
    const lines = (await readFile(pipeline.atsWritesFile, 'utf8')).trim().split('\n');
    const [first, second, ...rest] = lines as [string, string, ...string[]];
    await writeFile(pipeline.atsWritesFile, `${[first, ...rest].join('\n')}\n`);
    await appendFile(pipeline.atsWritesFile, `${first}\n${first}\n`);
    const doubled = (JSON.parse(first) as { eventKey: string }).eventKey;
    const missingWrite = (JSON.parse(second) as { eventKey: string }).eventKey;
    const lostEvent = traffic.events[0] as Traffic['events'][number];
    await removeFromLedgerItem(lostEvent, 'events', lostEvent.dedupeKey);

    // Act
    const audit = await auditPipeline(pipeline, traffic, sent);

    // Assess
    expect(audit).toMatchObject({
      lostEvents: [lostEvent.dedupeKey],
      missingWrites: [missingWrite],
      repeatedWrites: [doubled],
      unexpectedWrites: [],
      lost: 2,
      duplicateEffects: 2,
    });
  });

  it('counts a write made on another interview’s ATS record as misdirected and missing', async () => {
    // Prepare: a write whose key the file holds once, moved to the record another line names (a match
    // reused across records), its key and everything else unchanged; the audit before, as the file stands
    const before = await auditPipeline(pipeline, traffic, sent);
    const lines = (await readFile(pipeline.atsWritesFile, 'utf8')).trim().split('\n');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const count = (key: unknown) => parsed.filter((line) => line.eventKey === key).length;
    const index = parsed.findIndex((line) => count(line.eventKey) === 1);
    const chosen = parsed[index] as Record<string, unknown>;
    const other = parsed.find(
      (line) =>
        line.interviewId !== chosen.interviewId &&
        line.candidateId !== chosen.candidateId &&
        line.applicationId !== chosen.applicationId,
    );
    if (other === undefined) throw new Error('every write of this traffic names one record');
    const { candidateId: _c, applicationId: _a, ...rest } = chosen;
    parsed[index] = {
      ...rest,
      ...(other.candidateId === undefined ? {} : { candidateId: other.candidateId }),
      ...(other.applicationId === undefined ? {} : { applicationId: other.applicationId }),
    };
    await writeFile(pipeline.atsWritesFile, `${parsed.map((line) => JSON.stringify(line)).join('\n')}\n`);

    // Act
    const audit = await auditPipeline(pipeline, traffic, sent);

    // Assess: one write on the wrong record, missing from its own, one more duplicate effect and loss
    expect(before.misdirectedWrites).toEqual([]);
    expect(audit.misdirectedWrites).toEqual([chosen.eventKey]);
    // (in the traffic's order, not the file's: compared as sets)
    expect([...audit.missingWrites].sort()).toEqual([...before.missingWrites, chosen.eventKey].sort());
    expect(audit.duplicateEffects).toBe(before.duplicateEffects + 1);
    expect(audit.lost).toBe(before.lost + 1);
  });

  it('expects the in-progress write of a start that advanced the status, even when the worker made neither the write nor its record', async () => {
    // Prepare: an order-dependent write that was made (its interview's start processed before its end);
    // its line and its ledger record taken away, as by a worker that skipped both
    const lines = (await readFile(pipeline.atsWritesFile, 'utf8')).trim().split('\n');
    const written = new Set(lines.map((line) => (JSON.parse(line) as { eventKey: string }).eventKey));
    const orderDependent = traffic.interviews.flatMap(
      (interview) => expectedWritesOf(interview, traffic.events, () => true).orderDependent,
    );
    // A ROUND0 one: micro1's session item is closed by its report, and there the write's record is the witness.
    const made = orderDependent.filter((write) => write.vendor === 'round0' && written.has(atsKeyOf(write)));
    const [skipped] = made;
    if (skipped === undefined)
      throw new Error('no ROUND0 start was processed before its end in this traffic');
    const key = atsKeyOf(skipped);
    await writeFile(
      pipeline.atsWritesFile,
      `${lines.filter((line) => (JSON.parse(line) as { eventKey: string }).eventKey !== key).join('\n')}\n`,
    );
    await removeFromLedgerItem(skipped, 'effects', skipped.writeKey);

    // Act
    const audit = await auditPipeline(pipeline, traffic, sent);

    // Assess: the start's own record (it advanced the status) says the write was due
    expect(audit.missingWrites).toContain(key);
  });

  it('flags "in progress" written after "completed" on an interview\'s record, from the ATS file alone', async () => {
    // Prepare: an interview whose start wrote "in progress" before its end wrote "completed"; the same
    // "in progress" written once more at the end of the file (a status moved back)
    const before = await auditPipeline(pipeline, traffic, sent);
    const lines = (await readFile(pipeline.atsWritesFile, 'utf8')).trim().split('\n');
    const keys = lines.map((line) => (JSON.parse(line) as { eventKey: string }).eventKey);
    // (an earlier test of this file appended its first line, a start's, again at the end: not that one)
    const index = keys.findIndex(
      (key) =>
        key.endsWith(':status:in_progress') &&
        !before.statusRegressions.includes(key) &&
        keys.includes(key.replace(/in_progress$/, 'completed')),
    );
    if (index < 0) throw new Error('no interview of this traffic wrote both statuses on one item');
    await appendFile(pipeline.atsWritesFile, `${lines[index]}\n`);

    // Act
    const after = await auditPipeline(pipeline, traffic, sent);

    // Assess
    expect([...after.statusRegressions].sort()).toEqual([...before.statusRegressions, keys[index]].sort());
  });

  // Last: it stops the pipeline.
  it('audits the ATS file again once the pipeline stopped: a write made after the first read counts', async () => {
    // Prepare: the ledger, DLQs and file read from the running pipeline, then the pipeline stopped; a write
    // landing after that read (as from an invocation abandoned at its timeout, still running)
    const input = await readAuditInput(pipeline, traffic, sent);
    const before = auditLoad(input);
    await pipeline.stopProcesses();
    const [first] = (await readFile(pipeline.atsWritesFile, 'utf8')).trim().split('\n');
    if (first === undefined) throw new Error('the pipeline wrote nothing');
    await appendFile(pipeline.atsWritesFile, `${first}\n`);

    // Act
    const { audit, lateWrites } = await auditAfterStop(input, pipeline.atsWritesFile);

    // Assess: the file outlived the stop, and the late line is one more duplicate effect
    expect(lateWrites).toBe(1);
    expect(audit.duplicateEffects).toBe(before.duplicateEffects + 1);
    expect(audit.repeatedWrites).toContain((JSON.parse(first) as { eventKey: string }).eventKey);
    expect(audit.expectedEffects).toBe(before.expectedEffects);
  });
});
