/**
 * One load run: start the pipeline (`pipeline.ts`), send the traffic (`traffic.ts`, `sender.ts`), wait for
 * the queues to drain (`drain.ts`), read the ledger and DLQs, stop the pipeline, audit (`audit.ts`) with the
 * ATS file as it stands once nothing can write to it. `bin/load.ts` is its command line.
 */
import { loadavg } from 'node:os';
import { Progress, type ProgressStream } from '../ops/progress.js';
import { type AuditResult, auditAfterStop, readAuditInput } from './audit.js';
import { waitForDrain } from './drain.js';
import { type LoadPipelineOptions, startLoadPipeline } from './pipeline.js';
import { sendTraffic } from './sender.js';
import { buildTraffic } from './traffic.js';

export interface LoadOptions extends LoadPipelineOptions {
  /** Requests in all, 10 % of them re-deliveries. @default 10000 */
  readonly events?: number;
  /** Connections sending at once. @default 64 */
  readonly concurrency?: number;
  /** Seed of the traffic's interviews, re-deliveries and order. @default random (printed) */
  readonly seed?: number;
  /** How long to wait for the queues to drain. @default 900000 (15 min) */
  readonly drainTimeoutMs?: number;
  /**
   * Where progress goes (`process.stderr` in `npm run load`): a line per step, and the sending count, rate
   * and ETA (updated in place on a terminal). @default none
   */
  readonly progress?: ProgressStream;
}

/** The run's result line: exactly these fields. */
export interface LoadSummary {
  readonly sent: number;
  readonly accepted: number;
  readonly non2xx: number;
  readonly lost: number;
  readonly duplicateEffects: number;
  readonly expectedEffects: number;
  readonly drainSeconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** 2xx answers per second of the send phase: the ingest's acceptance rate under this load. */
  readonly eventsPerSecond: number;
}

export interface LoadRun {
  readonly summary: LoadSummary;
  readonly audit: AuditResult;
  readonly drained: boolean;
  /** 202 answers naming another event than the one sent (the ingest mixed up two requests). */
  readonly idMismatches: number;
  /** ATS writes made after the queues drained (read again once the pipeline stopped; audited with the rest). */
  readonly lateWrites: number;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/**
 * A load's verdict: the pipeline lost nothing, did nothing twice, refused nothing, answered each request for
 * its own event, wrote each note from the vendor API's view of its interview, and its queues drained — messages still there when the audit ran (a redelivery in a loop, a
 * task deferred again and again) could make effects the audit never saw.
 */
export const loadPassed = (
  run: Pick<LoadRun, 'summary' | 'drained' | 'idMismatches'> & {
    readonly audit: Pick<AuditResult, 'notesWithoutApiData' | 'statusRegressions'>;
  },
): boolean =>
  run.drained &&
  run.idMismatches === 0 &&
  run.audit.notesWithoutApiData.length === 0 &&
  run.audit.statusRegressions.length === 0 &&
  run.summary.lost === 0 &&
  run.summary.duplicateEffects === 0 &&
  run.summary.non2xx === 0;

/**
 * The result line's `lost`: the audit's, plus the messages the queues still held when the drain gave up (the
 * audit never saw their effects, so a run that did not drain never reads as nothing lost).
 */
export const lostOf = (
  audit: Pick<AuditResult, 'lost'>,
  drain: { readonly drained: boolean; readonly messages: number },
): number => audit.lost + (drain.drained ? 0 : Math.max(1, drain.messages));

export const runLoad = async (options: LoadOptions = {}): Promise<LoadRun> => {
  const progress = (line: string) => options.progress?.write(`load: ${line}\n`);
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  const traffic = buildTraffic({
    requests: options.events ?? 10_000,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  progress(
    `traffic: ${traffic.deliveries.length} requests, ${traffic.events.length} distinct events of ` +
      `${traffic.interviews.length} interviews, seed ${traffic.seed}; load average ${load()}`,
  );
  const pipeline = await startLoadPipeline({ ...options, vendorApiSeed: traffic.vendorApi });
  try {
    progress(`pipeline: ${pipeline.url} (data ${pipeline.dataDir})`);
    const sending = new Progress('load: answered', traffic.deliveries.length, {
      ...(options.progress === undefined ? {} : { stream: options.progress }),
      plainIntervalMs: 10_000,
    });
    const sent = await sendTraffic(traffic, {
      url: pipeline.url,
      round0Secret: pipeline.secrets.webhook.round0SigningSecrets[0] ?? '',
      micro1Token: pipeline.secrets.webhook.micro1Tokens[0] ?? '',
      connections: options.concurrency ?? 64,
      onAnswer: () => sending.tick(),
    });
    sending.done();
    progress(
      `sent ${sent.sent} in ${sent.seconds.toFixed(1)} s: ${JSON.stringify(sent.statuses)} by status, ` +
        `p50 ${sent.p50Ms} ms, p99 ${sent.p99Ms} ms` +
        (sent.idMismatches > 0 ? `, ${sent.idMismatches} answers with another dedupe key` : ''),
    );
    const queueUrls = [pipeline.info.queueUrls?.events ?? pipeline.info.eventsQueueUrl];
    if (pipeline.info.queueUrls?.archive !== undefined) queueUrls.push(pipeline.info.queueUrls.archive);
    const drain = await waitForDrain({
      sqs: pipeline.sqs,
      queueUrls,
      timeoutMs: options.drainTimeoutMs ?? 900_000,
      onProgress: (messages) => progress(`draining: ${messages} messages on the queues`),
    });
    progress(
      drain.drained
        ? `queues drained ${drain.seconds.toFixed(1)} s after the last answer; load average ${load()}`
        : `queues NOT drained after ${drain.seconds.toFixed(0)} s: ${drain.messages} messages left`,
    );
    const input = await readAuditInput(pipeline, traffic, sent);
    await pipeline.stopProcesses();
    const { audit, lateWrites } = await auditAfterStop(input, pipeline.atsWritesFile);
    progress(
      `audit: ${audit.expectedEffects} ATS writes expected (${audit.orderDependentWritten} of them ` +
        `order-dependent), ${audit.lostEvents.length} events not done in the ledger, ` +
        `${audit.missingWrites.length} writes missing, ${audit.repeatedWrites.length} keys written more ` +
        `than once, ${audit.unexpectedWrites.length} unexpected, ${audit.misdirectedWrites.length} on another ` +
        `interview's ATS record, ${audit.notesWithoutApiData.length} notes without the vendor API's data, ` +
        `${audit.statusRegressions.length} statuses back to "in progress" after "completed", ` +
        `${audit.deadLetters} dead letters, ${lateWrites} writes made after the drain` +
        (sent.uncertainEvents.size > 0
          ? `; of ${sent.uncertainEvents.size} events never answered 2xx, ${audit.uncertainProcessed} were ` +
            'processed all the same (their writes expected)'
          : ''),
    );
    for (const [what, keys] of [
      ['not done in the ledger', audit.lostEvents],
      ['missing write', audit.missingWrites],
      ['written more than once', audit.repeatedWrites],
      ['unexpected write', audit.unexpectedWrites],
      ['written on another ATS record', audit.misdirectedWrites],
      ["note without the vendor API's data", audit.notesWithoutApiData],
      ['"in progress" after "completed"', audit.statusRegressions],
    ] as const) {
      for (const key of keys.slice(0, 10)) progress(`  ${what}: ${key}`);
    }
    const summary: LoadSummary = {
      sent: sent.sent,
      accepted: sent.accepted,
      non2xx: sent.non2xx,
      lost: lostOf(audit, drain),
      duplicateEffects: audit.duplicateEffects,
      expectedEffects: audit.expectedEffects,
      drainSeconds: round(drain.seconds),
      p50Ms: sent.p50Ms,
      p99Ms: sent.p99Ms,
      eventsPerSecond: round(sent.accepted / sent.seconds),
    };
    return { summary, audit, drained: drain.drained, idMismatches: sent.idMismatches, lateWrites };
  } finally {
    await pipeline.stop();
  }
};
