/**
 * The bench's cost model (local/bench/cost.ts) on the figures BENCHMARKS.md shows (local/bench/results): the
 * worker's duration line is its arithmetic, and the memory table prices every size the same way as the
 * deployed one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { resources } from '../../../lib/resources.js';
import { assumptions, costPerMillion, prices, workerMemoryChoices } from '../../../local/bench/cost.js';
import type { IngestBenchResult } from '../../../local/bench/ingest-bench.js';
import type { WorkerBenchResult } from '../../../local/bench/worker-bench.js';

const resultOf = <T>(part: string): T =>
  (
    JSON.parse(
      readFileSync(new URL(`../../../local/bench/results/${part}.json`, import.meta.url), 'utf8'),
    ) as {
      result: T;
    }
  ).result;
const ingest = resultOf<IngestBenchResult>('ingest');
const worker = resultOf<WorkerBenchResult>('worker');
const tracing = { ingest: false, worker: false };
const durationOf = (model: ReturnType<typeof costPerMillion>) =>
  model.lines.find((line) => line.item === 'worker Lambda, duration')?.usdPerMillion;

/** What the worker awaits per event (by hand): the raw event's PUT, an SQS send, the ledger's reads and writes. */
const workerWaitsMs =
  assumptions.s3PutMs +
  assumptions.sqsSendMs +
  ((worker.dynamoDbPerEvent.freshByCommand.GetItemCommand ?? 0) / worker.eventsPerRound) *
    assumptions.dynamoDbGetMs +
  ((worker.dynamoDbPerEvent.freshByCommand.UpdateItemCommand ?? 0) / worker.eventsPerRound) *
    assumptions.dynamoDbUpdateMs;

describe('cost model', () => {
  it('bills the worker its CPU stretched to its memory, its waits and its share of cold starts', () => {
    // Prepare: what one event costs the worker at the deployed size, by hand
    const memoryMb = resources.worker.memoryMb;
    const stretch = assumptions.fullVcpuMemoryMb / memoryMb;
    const waits = workerWaitsMs;
    const init = (worker.init?.initCpuMs ?? 0) * stretch;
    // a trickle (the default: one event per invocation) is priced on the CPU measured one event per invocation
    const cpuMs = worker.workerCpuMsPerEventAlone ?? worker.workerCpuMsPerEvent;
    const billedMs = Math.ceil(cpuMs * stretch + waits + assumptions.coldStartRate * init);

    // Act
    const model = costPerMillion(ingest, worker, tracing);

    // Assess
    expect(worker.init?.initCpuMs).toBeGreaterThan(0);
    expect(model.workerBilledMs).toBe(billedMs);
    expect(durationOf(model)).toBeCloseTo(
      (billedMs / 1000) * (memoryMb / 1024) * prices.lambdaArmGbSecond * 1e6,
      3,
    );
  });

  it('rounds a full batch up to the millisecond once per invocation, as Lambda bills it, not once per event', () => {
    // Prepare: 2.34 ms of CPU an event; ten to an invocation
    const measured = { ...worker, workerCpuMsPerEvent: 2.34 };
    const stretch = assumptions.fullVcpuMemoryMb / resources.worker.memoryMb;
    const waits = workerWaitsMs;
    const init = (worker.init?.initCpuMs ?? 0) * stretch;
    const invocationMs = Math.ceil(10 * 2.34 * stretch + waits + assumptions.coldStartRate * init);

    // Act
    const busy = costPerMillion(ingest, measured, tracing, 10);

    // Assess
    expect(busy.workerBilledMs).toBeCloseTo(invocationMs / 10, 9);
  });

  it('bills SQS per 64 KB of payload: a send by its message, a receive by its batch; and the worker’s archive sends', () => {
    // Prepare: messages of 20,000 B on average, one sample over 64 KB; the worker sends 0.5 requests an event
    const sized = { ...ingest, messageBytes: { mean: 20_000, max: 70_000, chunksPerSend: 1.1 } };
    const sending = { ...worker, sqsRequestsPerEvent: 0.5 };
    const usd = (model: ReturnType<typeof costPerMillion>, item: string) =>
      model.lines.find((line) => line.item === item)?.usdPerMillion;

    // Act
    const busy = costPerMillion(sized, sending, tracing, 10);
    const trickle = costPerMillion(sized, sending, tracing, 1);

    // Assess: busy, 1.1 + (ceil(200,000 / 65,536) = 4 receive + 1 delete) / 10; a trickle, a receive of one
    // message billed as its send: 1.1 + 1.1 + 1
    expect(usd(busy, 'SQS events queue')).toBeCloseTo(1.6 * 0.4, 6);
    expect(usd(trickle, 'SQS events queue')).toBeCloseTo(3.2 * 0.4, 6);
    expect(usd(busy, 'SQS archive queue, the worker’s sends')).toBeCloseTo(0.5 * 0.4, 6);
  });

  it('prices each worker memory size like the deployed one, the waits in proportion to the memory', () => {
    // Act
    const choices = workerMemoryChoices(ingest, worker, tracing, [256, 512, 1024, 1769, 3008], 450);

    // Assess: the deployed size's row is the cost table's own figure
    const deployed = choices.find((choice) => choice.memoryMb === resources.worker.memoryMb);
    expect(deployed?.coreUsdPerMillion).toBe(costPerMillion(ingest, worker, tracing).coreUsdPerMillion);
    expect(deployed?.durationUsdPerMillion).toBeCloseTo(
      durationOf(costPerMillion(ingest, worker, tracing)) ?? 0,
      3,
    );
    // 450 ms of waiting at each size: 0.45 s × GB × the GB-second price, on top of the duration line
    for (const choice of choices) {
      const waits = 0.45 * (choice.memoryMb / 1024) * prices.lambdaArmGbSecond * 1e6;
      expect(choice.durationWithWaitsUsdPerMillion).toBeCloseTo(choice.durationUsdPerMillion + waits, 1);
    }
    // Less memory, more CPU time and a longer cold start; never faster than one vCPU (1,769 MB and up)
    const cpu = choices.map((choice) => choice.cpuMsPerEvent);
    expect(cpu).toEqual([...cpu].sort((a, b) => b - a));
    expect(choices.at(-1)?.cpuMsPerEvent).toBe(choices.at(-2)?.cpuMsPerEvent);
    expect(choices[0]?.coldStartMs).toBeGreaterThan(choices[1]?.coldStartMs ?? Number.POSITIVE_INFINITY);
  });

  it("prices the raw event store's PUTs as measured at each batching (one object per invocation and day)", () => {
    // Prepare: a result that measured one PUT for each batch of 10, and one for each lone event
    const measured = { ...worker, rawStorePutsPerEvent: { batched: 0.1, alone: 1 } };
    const { rawStorePutsPerEvent: _measured, ...older } = worker;
    const rawStoreOf = (model: ReturnType<typeof costPerMillion>) =>
      model.lines.find((line) => line.item === 'S3 raw event store')?.usdPerMillion;

    // Act
    const busy = costPerMillion(ingest, measured, tracing, 10);
    const trickle = costPerMillion(ingest, measured, tracing, 1);
    const unmeasured = costPerMillion(ingest, older, tracing, 10);

    // Assess: $0.005 per 1,000 PUTs
    expect(rawStoreOf(busy)).toBeCloseTo(0.5, 3);
    expect(rawStoreOf(trickle)).toBeCloseTo(5, 3);
    expect(rawStoreOf(unmeasured)).toBeCloseTo(5, 3);
    expect(busy.coreUsdPerMillion - busy.coreWithoutRawStoreUsdPerMillion).toBeCloseTo(0.5, 1);
  });

  it("prices a trickle on the CPU measured one event per invocation, full batches on the rounds' CPU", () => {
    // Prepare: an event alone in its invocation costs 3 ms more CPU than one in a full batch
    const measured = { ...worker, workerCpuMsPerEvent: 5, workerCpuMsPerEventAlone: 8 };
    const { workerCpuMsPerEventAlone: _alone, ...older } = measured;
    const stretch = assumptions.fullVcpuMemoryMb / resources.worker.memoryMb;

    // Act
    const trickle = costPerMillion(ingest, measured, tracing, 1);
    const busy = costPerMillion(ingest, measured, tracing, 10);
    const olderTrickle = costPerMillion(ingest, older, tracing, 1);
    const [choice] = workerMemoryChoices(ingest, measured, tracing, [resources.worker.memoryMb], 0);

    // Assess: 3 ms of CPU, stretched to the memory size, more at a trickle; the batches' figure when busy
    expect(trickle.workerBilledMs - olderTrickle.workerBilledMs).toBeGreaterThanOrEqual(
      Math.floor(3 * stretch),
    );
    expect(trickle.workerBilledMs - olderTrickle.workerBilledMs).toBeLessThanOrEqual(Math.ceil(3 * stretch));
    expect(busy.lines.find((line) => line.item === 'worker Lambda, duration')?.arithmetic).toMatch(
      /^\(10 × 5 ms CPU × /,
    );
    expect(choice?.cpuMsPerEvent).toBeCloseTo(8 * stretch, 1);
  });

  it("prices the ledger's storage and backups for its retention on the interview item's measured size, shared by its two events", () => {
    // Prepare: a result whose item measured 900 B, and one whose item measured 1,900 B
    const small = { ...worker, ledgerItemBytes: 900 };
    const large = { ...worker, ledgerItemBytes: 1900 };
    const storageOf = (model: ReturnType<typeof costPerMillion>) =>
      model.lines.find((line) => line.item === 'DynamoDB ledger, storage and backups');
    const months = resources.worker.ledgerRetentionSeconds / 86_400 / 30.4;

    // Act
    const busySmall = costPerMillion(ingest, small, tracing, 10);
    const busyLarge = costPerMillion(ingest, large, tracing, 10);

    // Assess: (bytes + 100 B overhead), halved between the interview's started and ended events, for the
    // retention at $0.25 + $0.20 per GB-month (a GB as AWS bills it, 2^30 bytes), in the core path
    expect(storageOf(busySmall)?.core).toBe(true);
    expect(storageOf(busySmall)?.usdPerMillion).toBeCloseTo((500 / 2 ** 30) * months * 0.45 * 1e6, 3);
    expect(storageOf(busyLarge)?.usdPerMillion).toBeCloseTo((1000 / 2 ** 30) * months * 0.45 * 1e6, 3);
    expect(storageOf(busySmall)?.perEvent).toBe(`500 B for ${months * 30.4} days`);
    expect(storageOf(busySmall)?.arithmetic).toContain(
      `(900 B item, the largest measured of an interview started and then ended, + 100 B overhead) / 2 events sharing it`,
    );
    expect(storageOf(busySmall)?.arithmetic).toContain(
      `only event is \`interview_ended\` (a subscription to it alone) keeps ${worker.ledgerItemBytesEndedOnly} B + 100 B`,
    );
    expect(busyLarge.coreUsdPerMillion).toBeGreaterThan(busySmall.coreUsdPerMillion);
  });

  it('prices the log bytes’ storage for the functions’ default log retention, in the core path', () => {
    // Act
    const trickle = costPerMillion(ingest, worker, tracing, 1);
    const logs = trickle.lines.find((line) => line.item === 'CloudWatch Logs');
    const stored = trickle.lines.find((line) => line.item === 'CloudWatch Logs, storage');

    // Assess: the same bytes as ingested, 30 days at $0.03 per GB-month against $0.50 per GB ingested
    expect(stored?.core).toBe(true);
    expect(stored?.usdPerMillion).toBeCloseTo(((logs?.usdPerMillion ?? 0) / 0.5) * (30 / 30.4) * 0.03, 3);
    expect(stored?.usdPerMillion).toBeGreaterThan(0);
  });

  it('prices the raw event store’s storage of each delivery for its 30 days, a GB as 2^30 bytes', () => {
    // Act
    const raw = costPerMillion(ingest, worker, tracing, 1).lines.find(
      (line) => line.item === 'S3 raw event store, storage',
    );
    const bytes = Number.parseInt(raw?.perEvent ?? '', 10);

    // Assess
    expect(bytes).toBeGreaterThan(0);
    expect(raw?.usdPerMillion).toBeCloseTo((bytes / 2 ** 30) * (30 / 30.4) * 0.023 * 1e6, 3);
  });

  it('prices the secrets read at cold starts: the ingest one, the worker two per invocation', () => {
    // Act: every invocation cold, one event per worker invocation; then ten
    const trickle = costPerMillion(ingest, worker, tracing, 1, resources.worker.memoryMb, 1);
    const busy = costPerMillion(ingest, worker, tracing, 10, resources.worker.memoryMb, 1);
    const secretsOf = (model: ReturnType<typeof costPerMillion>) =>
      model.lines.find((line) => line.item === 'Secrets Manager reads')?.usdPerMillion;

    // Assess: $0.05 per 10,000 reads: (1 + 2) reads an event is $15 per million; (1 + 2 / 10) is $6
    expect(secretsOf(trickle)).toBeCloseTo(15, 3);
    expect(secretsOf(busy)).toBeCloseTo(6, 3);
  });

  it('keeps what media adds out of the core path: the archive send and `archive.completed` through the worker', () => {
    // Act
    const model = costPerMillion(ingest, worker, tracing, 10);
    const lineOf = (item: string) => model.lines.find((line) => line.item === item);
    const media = model.lines.filter((line) => line.media === true);

    // Assess: the completion is at least another pass of the worker's queue and ledger requests
    expect(media.map((line) => line.item)).toEqual([
      'SQS archive queue, the worker’s sends',
      '`archive.completed` back through the worker',
    ]);
    for (const line of media) expect(line.core).toBe(false);
    expect(lineOf('`archive.completed` back through the worker')?.usdPerMillion).toBeGreaterThan(
      (lineOf('SQS events queue')?.usdPerMillion ?? 0) + (lineOf('DynamoDB ledger')?.usdPerMillion ?? 0),
    );
    const sum = (lines: typeof model.lines) => lines.reduce((total, line) => total + line.usdPerMillion, 0);
    expect(model.mediaUsdPerMillion).toBeCloseTo(sum(media), 2);
    expect(model.coreUsdPerMillion).toBeCloseTo(sum(model.lines.filter((line) => line.core)), 2);
  });
});
