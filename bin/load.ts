/**
 * `npm run load [-- --events 10000 --concurrency 64 …]`: a load generator and audit against `npm start`'s
 * pipeline, run in a child process of its own on a fresh temporary data directory (`local/load/`).
 *
 * It sends N correctly signed webhooks of both vendors (ROUND0 signed with `X-Webhook-Signature` at send
 * time, micro1 through the URL token) with autocannon: distinct interviews made from the vendors' samples,
 * 10 % of the requests re-deliveries (ROUND0's re-signed with a new timestamp), all in a shuffled order.
 * The vendor API fakes know the generated interviews, and each webhook carries less than the API (ROUND0
 * one answer of two, micro1 no transcript), so every end is enriched over HTTP. The events carry no media
 * URLs, so nothing is archived (the media fake makes its files with ffmpeg; the archive has its own
 * benchmark). Then it waits until the events and archive queues are empty and audits: every accepted event
 * done in the ledger, the log adapter's ATS writes exactly those the events imply (each once), each note
 * made from the API's view, both DLQs empty.
 *
 * Progress goes to stderr; the last stdout line is one JSON object:
 * `{"sent","accepted","non2xx","lost","duplicateEffects","expectedEffects","drainSeconds","p50Ms","p99Ms","eventsPerSecond"}`.
 * `eventsPerSecond` is accepted requests (2xx) per second of the send phase: how fast the ingest accepts
 * and durably queues under this load, not how fast the worker processes (that is `drainSeconds`, the
 * time from the last answer until the queues were empty). Latencies are autocannon's, per request.
 * Exit code 1 when anything was lost, written twice or refused, or a note lacks the API's data; 2 for a
 * usage error.
 */
// Local only: Lambda runs Node 22; on this Node 20 machine the SDK would warn at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { parseArgs } from 'node:util';
import { loadPassed, runLoad } from '../local/load/run.js';

const usage = `Usage: npm run load -- [options]
  --events <n>              requests in all, 10 % re-deliveries (default 10000)
  --concurrency <n>         connections sending at once (default 64)
  --seed <n>                seed of the generated traffic, ids included (default random, printed)
  --drain-timeout <s>       longest wait for the queues to drain (default 900)
  --visibility-timeout <s>  events queue visibility timeout: how soon a failed event is retried
                            (default the deployed 361)
  --log-level <level>       the handlers' Powertools log level (default WARN)
  --keep                    keep the temporary data directory (ledger, ats-writes.jsonl, pipeline.log)`;

const positiveInteger = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`--${name} must be a positive integer`);
  return value;
};

let options: Parameters<typeof runLoad>[0];
try {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'visibility-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const drainTimeout = positiveInteger('drain-timeout', values['drain-timeout']);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new RangeError('--seed must be an integer');
  const events = positiveInteger('events', values.events);
  const concurrency = positiveInteger('concurrency', values.concurrency);
  const visibility = positiveInteger('visibility-timeout', values['visibility-timeout']);
  options = {
    ...(events === undefined ? {} : { events }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(seed === undefined ? {} : { seed }),
    ...(drainTimeout === undefined ? {} : { drainTimeoutMs: drainTimeout * 1000 }),
    ...(visibility === undefined ? {} : { eventsVisibilityTimeoutSeconds: visibility }),
    ...(values['log-level'] === undefined ? {} : { logLevel: values['log-level'] }),
    ...(values.keep ? { keepData: true } : {}),
  };
} catch (error) {
  console.error(`${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}

const run = await runLoad({ ...options, progress: process.stderr });
console.log(JSON.stringify(run.summary));
process.exitCode = loadPassed(run) ? 0 : 1;
